# netlab.sh: a small real network with real traffic for the integration tests (sourced, not run).
#
# Two network namespaces joined by a veth pair: a "device" (dev0, 10.77.0.2, 02:c1:07:00:00:02) and
# a "lab router/cloud" (lab0, 10.77.0.1, 02:c1:07:00:00:01) serving DNS (dnsmasq), HTTPS for
# cloud.ciot.test (python3 ssl, self-signed certificate), MQTT (mosquitto, when installed) and a UDP
# sink. Nothing touches the host's own network. Needs root; where namespaces cannot be made,
# netlab_loopback_up puts the same servers on 127.0.0.1 and the device on 127.0.0.2.
#
#   source "$(dirname "$0")/netlab.sh"
#   trap 'netlab_down; rm -rf "$work"' EXIT    # (after lib.sh, whose EXIT trap this replaces)
#   netlab_up "$work/lab" || netlab_loopback_up "$work/lab" || exit 77
#   netlab_lab_bg CAPTURE-TOOL -i "$NETLAB_LAB_IF" ... 2>"$work/cap.err"; cap=$NETLAB_BG_PID
#   ... wait until the tool says its interface is open ...
#   netlab_dns cloud.ciot.test; netlab_https some/path; netlab_mqtt ciot/t hello
#   netlab_udp_stream_start 50; sleep 1; netlab_udp_stream_stop; echo "$NETLAB_UDP_SENT"
#   sleep 0.5; netlab_stop "$cap"
# A script run by the tool (another process) joins the same lab with `source netlab.sh; netlab_attach`.
#
# Call the functions from the test's main shell, not inside $(...) (netlab_dns's output excepted):
# they keep state in variables and start children of that shell. Two capture pitfalls, seen with
# tshark here: "Capturing on" is printed before dumpcap has opened the interface (wait for its
# "File:" line instead), and libpcap on Linux hands packets over in blocks, a block 250 ms (dumpcap's
# timeout) after its first packet, so a capture stopped sooner than that after the last packet
# loses it. Packets each generator puts on the wire (netns mode):
#   netlab_dns     1 DNS query (type A; dig adds an EDNS OPT record) + 1 response (UDP 53)
#   netlab_https   1 DNS query + response (type A only: curl -4) for cloud.ciot.test, then one TCP
#                  connection to 10.77.0.1:443: TLS 1.3 (SNI cloud.ciot.test), GET, both ends FIN
#   netlab_mqtt    one TCP connection to 10.77.0.1:1883: CONNECT, CONNACK, PUBLISH (QoS 0), DISCONNECT
#   netlab_udp_*   one 32-byte datagram per number, 10.77.0.2:ephemeral -> 10.77.0.1:9999
# No ARP (permanent neighbour entries; NETLAB_STATIC_NEIGH=0 keeps ARP), no IPv6 (disabled), no
# IGMP, mDNS or other background traffic: only what the generators send crosses the veth; every
# frame is between the two MACs. In loopback mode netlab_https makes no DNS query (--resolve), and
# tshark needs `-d udp.port==19999,data -d tcp.port==11883,mqtt` (19999 is read as GPRS-NS).
set -euo pipefail

_netlab_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's python3 starts in ~30 ms; a pyenv shim first on PATH takes ~150 ms
if [ -z "${NETLAB_PYTHON:-}" ]; then
  if [ -x /usr/bin/python3 ]; then NETLAB_PYTHON=/usr/bin/python3; else NETLAB_PYTHON=python3; fi
fi
export NETLAB_PYTHON NETLAB_HOST=cloud.ciot.test
_netlab_mode=""    # "", netns or loopback
_netlab_owner=""   # 1 where netlab_up / netlab_loopback_up made the lab, "" where netlab_attach joined it
_netlab_work=""
_netlab_pids=""    # every process started, killed by netlab_down
_netlab_udp_pid=""
_netlab_udp_files=""
_netlab_made_etc_netns=""
_netlab_devcmd=()  # prefix running a command in the device / lab namespace (empty in loopback)
_netlab_labcmd=()
_netlab_ss=(ss)

_netlab_say() { echo "netlab: $*" >&2; }

# _netlab_try WHAT CMD...: runs CMD quietly; on failure keeps "WHAT: CMD's first error line" in
# NETLAB_UNAVAILABLE and returns 1
_netlab_try() {
  local what=$1 err
  shift
  if err=$("$@" 2>&1 >/dev/null); then return 0; fi
  err=${err%%$'\n'*}
  NETLAB_UNAVAILABLE="$what${err:+: $err}"
  return 1
}

# _netlab_fail: says why the set-up failed, undoes it, returns 1 (use as `... || { _netlab_fail; return 1; }`)
_netlab_fail() {
  _netlab_say "cannot set up the lab: ${NETLAB_UNAVAILABLE:-unknown reason}"
  netlab_down
  return 1
}

# _netlab_alive PID: the process exists and is not a zombie
_netlab_alive() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  [ "${s%% *}" != Z ]
}

# _netlab_kill PID...: SIGTERM, SIGKILL to those still there after 2 s, then reaps our children
_netlab_kill() {
  local p left="" i
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    left=""
    for p; do if _netlab_alive "$p"; then left+=" $p"; fi; done
    [ -n "$left" ] || break
    sleep 0.02
  done
  # shellcheck disable=SC2086
  if [ -n "$left" ]; then kill -KILL $left 2>/dev/null || true; fi
  for p; do wait "$p" 2>/dev/null || true; done
}

# _netlab_ours PID: a child of this shell, or a process in one of the lab's namespaces (a PID kept
# in _netlab_pids may have been reused once its process was gone)
_netlab_ours() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  s=${s#* }
  [ "${s%% *}" != $$ ] || return 0
  [ "$_netlab_mode" = netns ] || return 1
  case " $(ip netns identify "$1" 2>/dev/null | tr '\n' ' ') " in
    *" $NETLAB_DEV_NS "* | *" $NETLAB_LAB_NS "*) return 0 ;;
  esac
  return 1
}

# _netlab_forget PID: no longer one for netlab_down to stop
_netlab_forget() {
  local p left=""
  for p in $_netlab_pids; do [ "$p" = "$1" ] || left+=" $p"; done
  _netlab_pids=$left
}

# _netlab_spawn NAME CMD...: starts CMD in the background, output to WORK/NAME.out; pid in _netlab_last
_netlab_spawn() {
  local name=$1
  shift
  "$@" </dev/null >"$_netlab_work/$name.out" 2>&1 &
  _netlab_last=$!
  _netlab_pids+=" $_netlab_last"
}

# _netlab_wait_listen t|u PORT PID WHAT: polls (up to 5 s) until process PID listens on PORT
_netlab_wait_listen() {
  local i out
  for ((i = 0; i < 250; i++)); do
    out=$("${_netlab_ss[@]}" -Hlnp"$1" "sport = :$2" 2>/dev/null) || true
    case $out in *"pid=$3,"*) return 0 ;; esac
    if ! _netlab_alive "$3"; then
      out=$(tail -n 1 "$_netlab_work/$4.out" 2>/dev/null) || true
      NETLAB_UNAVAILABLE="$4 exited${out:+: $out}"
      return 1
    fi
    sleep 0.02
  done
  NETLAB_UNAVAILABLE="$4 not listening on port $2 after 5 s"
  return 1
}

# _netlab_need_tools: the programs both modes need
_netlab_need_tools() {
  local t
  for t in dnsmasq openssl curl ss "$NETLAB_PYTHON"; do
    command -v "$t" >/dev/null 2>&1 || { NETLAB_UNAVAILABLE="$t not found"; return 1; }
  done
}

_netlab_need_up() {
  [ -n "$_netlab_mode" ] || { _netlab_say "the lab is not up (netlab_up first)"; return 1; }
}

# _netlab_sweep_stale: deletes the namespaces (and their processes) of earlier runs whose shell is
# gone, e.g. a test killed by SIGKILL before its EXIT trap ran
_netlab_sweep_stale() {
  local ns pid
  for ns in $(ip netns list 2>/dev/null | cut -d' ' -f1); do
    [[ $ns =~ ^ciot(dev|lab)([0-9]+)$ ]] || continue
    pid=${BASH_REMATCH[2]}
    if [ "$pid" != $$ ] && kill -0 "$pid" 2>/dev/null; then continue; fi
    _netlab_say "removing stale namespace $ns (its test, pid $pid, is gone)"
    # shellcheck disable=SC2046
    _netlab_kill $(ip netns pids "$ns" 2>/dev/null)
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
    rmdir /etc/netns 2>/dev/null || true # made by that run, unless another's is in it
  done
}

# _netlab_workdir WORKDIR: makes it and keeps its absolute path
_netlab_workdir() {
  [ -n "${1:-}" ] || { NETLAB_UNAVAILABLE="no work dir given"; return 1; }
  mkdir -p "$1" && _netlab_work=$(cd "$1" && pwd) || { NETLAB_UNAVAILABLE="cannot make work dir $1"; return 1; }
  export NETLAB_WORK=$_netlab_work
}

# netlab_up WORKDIR: the two namespaces, the veth pair and the lab's servers. Returns 1 with a
# one-line reason on stderr (also in NETLAB_UNAVAILABLE) when anything fails, everything undone.
netlab_up() {
  local ns i
  if [ -n "$_netlab_mode" ]; then _netlab_say "the lab is already up"; return 1; fi
  NETLAB_UNAVAILABLE=""
  if [ -n "${NETLAB_NO_NETNS:-}" ]; then NETLAB_UNAVAILABLE="NETLAB_NO_NETNS is set"
  elif [ "$(id -u)" -ne 0 ]; then NETLAB_UNAVAILABLE="not root"
  elif ! command -v ip >/dev/null 2>&1; then NETLAB_UNAVAILABLE="no ip command (iproute2)"
  elif ! ip netns list >/dev/null 2>&1; then NETLAB_UNAVAILABLE="no ip netns"
  else _netlab_need_tools || true
  fi
  if [ -n "$NETLAB_UNAVAILABLE" ]; then _netlab_say "cannot set up the lab: $NETLAB_UNAVAILABLE"; return 1; fi
  _netlab_workdir "${1:-}" || { _netlab_say "$NETLAB_UNAVAILABLE"; return 1; }
  _netlab_sweep_stale

  export NETLAB_MODE=netns NETLAB_DEV_NS=ciotdev$$ NETLAB_LAB_NS=ciotlab$$
  export NETLAB_DEV_IF=dev0 NETLAB_DEV_IP=10.77.0.2 NETLAB_DEV_MAC=02:c1:07:00:00:02
  export NETLAB_LAB_IF=lab0 NETLAB_LAB_IP=10.77.0.1 NETLAB_LAB_MAC=02:c1:07:00:00:01
  export NETLAB_DNS_PORT=53 NETLAB_HTTPS_PORT=443 NETLAB_MQTT_PORT="" NETLAB_UDP_PORT=9999
  _netlab_mode=netns _netlab_owner=1 # from here on netlab_down undoes what was made
  _netlab_devcmd=(ip netns exec "$NETLAB_DEV_NS")
  _netlab_labcmd=(ip netns exec "$NETLAB_LAB_NS")
  _netlab_ss=(ss -N "$NETLAB_LAB_NS")

  for ns in "$NETLAB_DEV_NS" "$NETLAB_LAB_NS"; do
    _netlab_try "ip netns add $ns" ip netns add "$ns" || { _netlab_fail; return 1; }
    # interfaces made from now on get no IPv6 (no link-local address, router solicitation or DAD);
    # absent when the kernel has no IPv6 at all
    if ip netns exec "$ns" test -e /proc/sys/net/ipv6/conf/default/disable_ipv6; then
      _netlab_try "disabling IPv6 in $ns" ip netns exec "$ns" \
        sh -c 'echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6 && echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6' ||
        { _netlab_fail; return 1; }
    fi
    _netlab_try "lo up in $ns" ip -n "$ns" link set lo up || { _netlab_fail; return 1; }
  done
  _netlab_try "no veth" ip -n "$NETLAB_DEV_NS" link add "$NETLAB_DEV_IF" address "$NETLAB_DEV_MAC" type veth \
    peer name "$NETLAB_LAB_IF" address "$NETLAB_LAB_MAC" netns "$NETLAB_LAB_NS" || { _netlab_fail; return 1; }
  # (already so from the defaults above; said again for the interfaces themselves)
  if ip netns exec "$NETLAB_DEV_NS" test -e "/proc/sys/net/ipv6/conf/$NETLAB_DEV_IF/disable_ipv6"; then
    _netlab_try "disabling IPv6 on $NETLAB_DEV_IF" ip netns exec "$NETLAB_DEV_NS" \
      sh -c "echo 1 >/proc/sys/net/ipv6/conf/$NETLAB_DEV_IF/disable_ipv6" &&
      _netlab_try "disabling IPv6 on $NETLAB_LAB_IF" ip netns exec "$NETLAB_LAB_NS" \
        sh -c "echo 1 >/proc/sys/net/ipv6/conf/$NETLAB_LAB_IF/disable_ipv6" || { _netlab_fail; return 1; }
  fi
  _netlab_try "address of $NETLAB_DEV_IF" ip -n "$NETLAB_DEV_NS" addr add "$NETLAB_DEV_IP/24" dev "$NETLAB_DEV_IF" &&
    _netlab_try "address of $NETLAB_LAB_IF" ip -n "$NETLAB_LAB_NS" addr add "$NETLAB_LAB_IP/24" dev "$NETLAB_LAB_IF" ||
    { _netlab_fail; return 1; }
  if [ "${NETLAB_STATIC_NEIGH:-1}" != 0 ]; then # no ARP on the wire
    _netlab_try "neighbour entry" ip -n "$NETLAB_DEV_NS" neigh replace "$NETLAB_LAB_IP" lladdr "$NETLAB_LAB_MAC" \
      dev "$NETLAB_DEV_IF" nud permanent &&
      _netlab_try "neighbour entry" ip -n "$NETLAB_LAB_NS" neigh replace "$NETLAB_DEV_IP" lladdr "$NETLAB_DEV_MAC" \
        dev "$NETLAB_LAB_IF" nud permanent || { _netlab_fail; return 1; }
  fi
  _netlab_try "link up" ip -n "$NETLAB_DEV_NS" link set "$NETLAB_DEV_IF" up &&
    _netlab_try "link up" ip -n "$NETLAB_LAB_NS" link set "$NETLAB_LAB_IF" up || { _netlab_fail; return 1; }
  for ((i = 0;; i++)); do
    if ip -n "$NETLAB_DEV_NS" -o link show "$NETLAB_DEV_IF" 2>/dev/null | grep -q 'LOWER_UP.* state UP' &&
      ip -n "$NETLAB_LAB_NS" -o link show "$NETLAB_LAB_IF" 2>/dev/null | grep -q 'LOWER_UP.* state UP'; then break; fi
    [ "$i" -lt 250 ] || { NETLAB_UNAVAILABLE="the veth link is not up after 5 s"; _netlab_fail; return 1; }
    sleep 0.02
  done

  # `ip netns exec` bind-mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf
  if [ ! -d /etc/netns ]; then _netlab_made_etc_netns=1; fi
  mkdir -p "/etc/netns/$NETLAB_DEV_NS" &&
    printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$NETLAB_LAB_IP" >"/etc/netns/$NETLAB_DEV_NS/resolv.conf" ||
    { NETLAB_UNAVAILABLE="cannot write /etc/netns/$NETLAB_DEV_NS/resolv.conf"; _netlab_fail; return 1; }

  _netlab_start_servers || { _netlab_fail; return 1; }
}

# netlab_loopback_up WORKDIR: the fallback without namespaces: the servers on 127.0.0.1 (DNS 10053,
# HTTPS 10443, MQTT 11883, UDP 19999), the device is 127.0.0.2, the capture interface lo. Only one
# such lab can run on a machine at a time (fixed ports).
netlab_loopback_up() {
  if [ -n "$_netlab_mode" ]; then _netlab_say "the lab is already up"; return 1; fi
  _netlab_say "network namespaces unavailable (${NETLAB_UNAVAILABLE:-not tried}); using loopback"
  NETLAB_UNAVAILABLE=""
  _netlab_need_tools && _netlab_workdir "${1:-}" || { _netlab_say "cannot set up the lab: $NETLAB_UNAVAILABLE"; return 1; }
  export NETLAB_MODE=loopback NETLAB_DEV_NS="" NETLAB_LAB_NS=""
  export NETLAB_DEV_IF=lo NETLAB_DEV_IP=127.0.0.2 NETLAB_DEV_MAC=""
  export NETLAB_LAB_IF=lo NETLAB_LAB_IP=127.0.0.1 NETLAB_LAB_MAC=""
  export NETLAB_DNS_PORT=10053 NETLAB_HTTPS_PORT=10443 NETLAB_MQTT_PORT="" NETLAB_UDP_PORT=19999
  _netlab_mode=loopback _netlab_owner=1
  _netlab_devcmd=() _netlab_labcmd=() _netlab_ss=(ss)
  _netlab_start_servers || { _netlab_fail; return 1; }
}

# netlab_attach: in another process (a script a test's tool runs, say), joins the lab that the
# test brought up, from the NETLAB_* variables it exported: the generators, netlab_dev, netlab_lab
# and the *_bg helpers work as in the test. netlab_down there stops only what that process started;
# the lab stays. Returns 1 when there is no lab to join.
netlab_attach() {
  [ -z "$_netlab_mode" ] || return 0
  case ${NETLAB_MODE:-} in
    netns)
      [ -e "/run/netns/${NETLAB_DEV_NS:-}" ] && [ -e "/run/netns/${NETLAB_LAB_NS:-}" ] ||
        { _netlab_say "cannot attach: the lab's namespaces are gone"; return 1; }
      _netlab_devcmd=(ip netns exec "$NETLAB_DEV_NS") _netlab_labcmd=(ip netns exec "$NETLAB_LAB_NS")
      _netlab_ss=(ss -N "$NETLAB_LAB_NS") ;;
    loopback) _netlab_devcmd=() _netlab_labcmd=() _netlab_ss=(ss) ;;
    *) _netlab_say "cannot attach: no lab in the environment (NETLAB_MODE unset)"; return 1 ;;
  esac
  [ -d "${NETLAB_WORK:-}" ] || { _netlab_say "cannot attach: no work dir (NETLAB_WORK)"; return 1; }
  _netlab_mode=$NETLAB_MODE _netlab_owner="" _netlab_work=$NETLAB_WORK
}

# the HTTPS server: any GET/HEAD/POST gets 200 "ciot netlab"; requests logged to WORK/https.log
# shellcheck disable=SC2016
_netlab_https_py='
import http.server, ssl, sys
host, port, cert, key, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, send_body=True):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        body = b"ciot netlab\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if send_body:
            self.wfile.write(body)
    def do_GET(self): self.reply()
    def do_POST(self): self.reply()
    def do_HEAD(self): self.reply(False)
    def log_message(self, fmt, *args):
        with open(log, "a") as f:
            f.write("%s %s\n" % (self.client_address[0], fmt % args))
class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            tls = ctx.wrap_socket(request, server_side=True)
        except OSError:
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
            # the client closes first (Connection: close): read its close_notify and FIN, so that
            # closing does not meet unread data and answer it with a RST
            while tls.recv(4096):
                pass
        except OSError:
            pass
        finally:
            tls.close()
Server((host, port), Handler).serve_forever()
'

# _netlab_start_servers: certificate, DNS, HTTPS, MQTT (if installed), UDP sink, in the lab
_netlab_start_servers() {
  local w=$_netlab_work ip=$NETLAB_LAB_IP dns https mqtt="" udp
  export NETLAB_CERT=$w/cert.pem NETLAB_DNS_LOG=$w/dns.log NETLAB_HTTPS_LOG=$w/https.log
  export NETLAB_MQTT_LOG=$w/mosquitto.log
  if command -v dig >/dev/null 2>&1; then NETLAB_DNS_TOOL=dig
  elif [ "$_netlab_mode" = netns ]; then NETLAB_DNS_TOOL=getent
  else NETLAB_DNS_TOOL=python
  fi
  export NETLAB_DNS_TOOL
  : >"$NETLAB_HTTPS_LOG"
  # EC key: made in milliseconds where RSA takes up to a second
  _netlab_try "openssl req" openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=$NETLAB_HOST" -addext "subjectAltName=DNS:$NETLAB_HOST,IP:$ip" \
    -keyout "$w/key.pem" -out "$NETLAB_CERT" || return 1

  # DNS: only the two names (the rest of ciot.test is NXDOMAIN, other names REFUSED), no DHCP, no
  # upstream; queries logged synchronously
  _netlab_spawn dnsmasq "${_netlab_labcmd[@]}" dnsmasq --keep-in-foreground --conf-file=/dev/null --user=root \
    --pid-file="$w/dnsmasq.pid" --no-resolv --no-hosts --listen-address="$ip" --bind-interfaces \
    --port="$NETLAB_DNS_PORT" --local=/ciot.test/ --address="/cloud.ciot.test/$ip" --address="/ntp.ciot.test/$ip" \
    --log-queries --log-facility="$NETLAB_DNS_LOG"
  dns=$_netlab_last
  _netlab_spawn https "${_netlab_labcmd[@]}" "$NETLAB_PYTHON" -c "$_netlab_https_py" "$ip" "$NETLAB_HTTPS_PORT" \
    "$NETLAB_CERT" "$w/key.pem" "$NETLAB_HTTPS_LOG"
  https=$_netlab_last
  if command -v mosquitto >/dev/null 2>&1; then
    local port=1883
    [ "$_netlab_mode" = netns ] || port=11883
    # user root: no drop to the mosquitto user, who could not write the log in the work dir
    printf '%s\n' "listener $port $ip" "allow_anonymous true" "persistence false" "user root" \
      "log_dest file $NETLAB_MQTT_LOG" "log_type all" >"$w/mosquitto.conf"
    _netlab_spawn mosquitto "${_netlab_labcmd[@]}" mosquitto -c "$w/mosquitto.conf"
    mqtt=$_netlab_last
  fi
  _netlab_spawn udp-recv "${_netlab_labcmd[@]}" "$NETLAB_PYTHON" "$_netlab_dir/udp-seq.py" recv \
    --bind "$ip:$NETLAB_UDP_PORT" --count-file "$w/udp-received"
  udp=$_netlab_last

  _netlab_wait_listen u "$NETLAB_DNS_PORT" "$dns" dnsmasq || return 1
  _netlab_wait_listen t "$NETLAB_HTTPS_PORT" "$https" https || return 1
  _netlab_wait_listen u "$NETLAB_UDP_PORT" "$udp" udp-recv || return 1
  if [ -n "$mqtt" ]; then
    if _netlab_wait_listen t "$port" "$mqtt" mosquitto; then NETLAB_MQTT_PORT=$port
    else _netlab_say "no MQTT: $NETLAB_UNAVAILABLE"
    fi
  fi
  return 0
}

# netlab_down: stops every process the lab started, deletes the namespaces and /etc/netns/NS (in a
# shell that netlab_attach joined: only the processes that shell started).
# Idempotent, always returns 0 (meant for `trap netlab_down EXIT`).
netlab_down() {
  local ns p ours=""
  [ -n "${_netlab_mode:-}" ] || return 0
  for p in $_netlab_pids; do if _netlab_ours "$p"; then ours+=" $p"; fi; done
  # shellcheck disable=SC2086
  _netlab_kill $ours
  if [ "$_netlab_mode" = netns ] && [ -n "$_netlab_owner" ]; then
    for ns in "$NETLAB_DEV_NS" "$NETLAB_LAB_NS"; do
      if [ -e "/run/netns/$ns" ]; then
        # anything else the test left running in the namespace
        # shellcheck disable=SC2046
        _netlab_kill $(ip netns pids "$ns" 2>/dev/null)
        ip netns del "$ns" 2>/dev/null || _netlab_say "cannot delete namespace $ns"
      fi
      rm -rf "/etc/netns/$ns" || true
    done
    if [ -n "$_netlab_made_etc_netns" ]; then rmdir /etc/netns 2>/dev/null || true; fi
  fi
  _netlab_mode="" _netlab_owner="" _netlab_pids="" _netlab_udp_pid="" _netlab_made_etc_netns=""
  _netlab_devcmd=() _netlab_labcmd=() _netlab_ss=(ss)
  return 0
}

# netlab_dev CMD...: runs CMD in the device namespace (on the host in loopback mode)
netlab_dev() { _netlab_need_up || return 1; "${_netlab_devcmd[@]}" "$@"; }
# netlab_lab CMD...: runs CMD in the lab namespace (on the host in loopback mode)
netlab_lab() { _netlab_need_up || return 1; "${_netlab_labcmd[@]}" "$@"; }

# netlab_dev_bg CMD... / netlab_lab_bg CMD...: starts CMD in the background in the device / lab
# namespace, stdin from /dev/null, stdout and stderr where the call's are redirected
# (`netlab_lab_bg tshark -i lab0 -w f 2>err`). Its PID, exported as NETLAB_BG_PID, is CMD's own
# (`netlab_lab CMD &` would give a subshell's, and killing that leaves CMD running) and a child of
# the calling shell, so `wait` gives its status; netlab_down stops it if it still runs. Background
# commands of a script start with SIGINT ignored: stop them with SIGTERM (netlab_stop) unless they
# catch SIGINT themselves.
netlab_dev_bg() { _netlab_need_up || return 1; _netlab_bg "${_netlab_devcmd[@]}" "$@"; }
netlab_lab_bg() { _netlab_need_up || return 1; _netlab_bg "${_netlab_labcmd[@]}" "$@"; }
_netlab_bg() {
  "$@" </dev/null &
  NETLAB_BG_PID=$!
  export NETLAB_BG_PID
  _netlab_pids+=" $NETLAB_BG_PID"
}

# netlab_stop PID [SIGNAL]: sends SIGNAL (TERM) to a process netlab_*_bg started, waits for it and
# returns its exit status (143 for a process SIGTERM killed)
netlab_stop() {
  local pid=${1:?netlab_stop PID [SIGNAL]} rc=0
  _netlab_forget "$pid"
  kill -"${2:-TERM}" "$pid" 2>/dev/null || true
  wait "$pid" || rc=$?
  return "$rc"
}

# netlab_dns NAME: one DNS query (type A) for NAME from the device to the lab's DNS; prints the
# addresses. dig when installed (status 0 on any answer, NXDOMAIN included; 9 on none); else, in the
# namespaces, getent ahostsv4 (through the device's resolv.conf; non-zero when not resolved), and in
# loopback mode udp-seq.py dns (getent cannot be told the port).
netlab_dns() {
  local name=${1:?netlab_dns NAME}
  _netlab_need_up || return 1
  case $NETLAB_DNS_TOOL in
    dig) netlab_dev dig +short +tries=1 +time=2 -b "$NETLAB_DEV_IP" -p "$NETLAB_DNS_PORT" @"$NETLAB_LAB_IP" "$name" A ;;
    getent) netlab_dev getent ahostsv4 "$name" | cut -d' ' -f1 | sort -u ;;
    *) netlab_dev "$NETLAB_PYTHON" "$_netlab_dir/udp-seq.py" dns "$name" --bind "$NETLAB_DEV_IP" --to "$NETLAB_LAB_IP:$NETLAB_DNS_PORT" ;;
  esac
}

# netlab_https [PATH]: GET https://cloud.ciot.test/PATH from the device, checked against the lab's
# certificate; in the namespaces the name is resolved through the lab's DNS (A only), in loopback
# mode given by --resolve (no DNS). Prints nothing on success; non-zero on any failure or HTTP error.
netlab_https() {
  local path=${1-}
  _netlab_need_up || return 1
  path=${path#/}
  # -q first: no ~/.curlrc; --noproxy: a proxy in the environment must not take the request
  local args=(-q -sS --fail --noproxy '*' --max-time 5 --cacert "$NETLAB_CERT" -o /dev/null)
  if [ "$_netlab_mode" = netns ]; then
    netlab_dev curl "${args[@]}" -4 "https://$NETLAB_HOST/$path"
  else
    curl "${args[@]}" --resolve "$NETLAB_HOST:$NETLAB_HTTPS_PORT:$NETLAB_LAB_IP" --interface "$NETLAB_DEV_IP" \
      "https://$NETLAB_HOST:$NETLAB_HTTPS_PORT/$path"
  fi
}

# netlab_mqtt TOPIC MESSAGE: one MQTT PUBLISH (QoS 0, client id ciot-netlab-dev) from the device to
# the lab's broker. Returns 2 when there is no broker or no mosquitto_pub, so callers can skip.
netlab_mqtt() {
  local topic=${1:?netlab_mqtt TOPIC MESSAGE} msg=${2?netlab_mqtt TOPIC MESSAGE}
  _netlab_need_up || return 1
  if [ -z "${NETLAB_MQTT_PORT:-}" ] || ! command -v mosquitto_pub >/dev/null 2>&1; then
    _netlab_say "no MQTT (mosquitto or mosquitto_pub unavailable)"
    return 2
  fi
  netlab_dev timeout 10 mosquitto_pub -h "$NETLAB_LAB_IP" -p "$NETLAB_MQTT_PORT" -A "$NETLAB_DEV_IP" \
    -i ciot-netlab-dev -t "$topic" -m "$msg"
}

# _netlab_udp_cmd: udp-seq.py send from the device to the lab's UDP sink (more arguments follow);
# its files are named after this shell, which may not be the only one using the lab
_netlab_udp_cmd() {
  _netlab_udp_files=$_netlab_work/udp-send.$$
  _netlab_udp=("${_netlab_devcmd[@]}" "$NETLAB_PYTHON" "$_netlab_dir/udp-seq.py" send --bind "$NETLAB_DEV_IP"
    --to "$NETLAB_LAB_IP:$NETLAB_UDP_PORT" --count-file "$_netlab_udp_files.count")
  rm -f "$_netlab_udp_files.count" "$_netlab_udp_files.ready"
}

# netlab_udp_stream_start RATE: starts sending "ciot-seq NNNNNNNN" datagrams (numbered from 0,
# 32 bytes) at RATE a second to the lab's UDP sink; returns once the first is about to go.
netlab_udp_stream_start() {
  local rate=${1:?netlab_udp_stream_start RATE} i
  _netlab_need_up || return 1
  [ -z "$_netlab_udp_pid" ] || { _netlab_say "a UDP stream is already running"; return 1; }
  _netlab_udp_cmd
  _netlab_spawn "udp-send.$$" "${_netlab_udp[@]}" --rate "$rate" --ready-file "$_netlab_udp_files.ready"
  _netlab_udp_pid=$_netlab_last
  for ((i = 0; i < 250; i++)); do
    [ ! -e "$_netlab_udp_files.ready" ] || return 0
    _netlab_alive "$_netlab_udp_pid" || break
    sleep 0.01
  done
  _netlab_say "the UDP sender did not start: $(tail -n 1 "$_netlab_udp_files.out" 2>/dev/null)"
  netlab_udp_stream_stop || true
  return 1
}

# netlab_udp_stream_stop: stops the sender; exports NETLAB_UDP_SENT, the number of datagrams sent
# (numbers 0 .. NETLAB_UDP_SENT-1). Non-zero if the sender failed.
netlab_udp_stream_stop() {
  local pid=$_netlab_udp_pid rc=0
  [ -n "$pid" ] || { _netlab_say "no UDP stream is running"; return 1; }
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || rc=$?
  _netlab_udp_pid=""
  _netlab_forget "$pid"
  _netlab_udp_sent || rc=1
  if [ "$rc" -ne 0 ]; then _netlab_say "the UDP sender failed (status $rc): $(tail -n 1 "$_netlab_udp_files.out" 2>/dev/null)"; fi
  return "$rc"
}

# netlab_udp_send COUNT [RATE]: sends exactly COUNT numbered datagrams (from 0) at RATE a second
# (default 100) and returns when done; exports NETLAB_UDP_SENT
netlab_udp_send() {
  local count=${1:?netlab_udp_send COUNT [RATE]} rate=${2:-100}
  _netlab_need_up || return 1
  _netlab_udp_cmd
  "${_netlab_udp[@]}" --rate "$rate" --count "$count" && _netlab_udp_sent
}

_netlab_udp_sent() {
  NETLAB_UDP_SENT=$(cat "$_netlab_udp_files.count" 2>/dev/null) || { _netlab_say "the UDP sender left no count"; return 1; }
  export NETLAB_UDP_SENT
}
