#!/usr/bin/env bash
# ciot-capture live, over real traffic in a two-namespace network (tests/integration/netlab.sh; on
# loopback where namespaces cannot be made, and the test says so): a scripted run of the camera
# protocol with DNS, HTTPS, MQTT and a steady numbered UDP stream, compared with an independent
# tshark capture of the same interface: every packet stamped inside a step is in that step's file,
# byte for byte, nothing else is, and the rest is counted as outside; ciot-analyze then finds each
# step's flows where they belong. Then the ways out: SIGTERM, a vanished interface and a full disk
# each leave a valid file and a manifest that says how the step ended, and a second run appends.
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/netlab.sh"
: "${CIOT_CAPTURE:?}"
mounted=""
cleanup() {
  [ -z "$mounted" ] || umount "$mounted" 2>/dev/null || true
  netlab_down
  rm -rf "$work"
}
trap cleanup EXIT

if netlab_up "$work/lab"; then
  filter=(--mac "$NETLAB_DEV_MAC")
  echo "network: two namespaces joined by a veth pair, capturing on $NETLAB_LAB_IF"
elif why=$NETLAB_UNAVAILABLE && netlab_loopback_up "$work/lab"; then
  filter=(--ip "$NETLAB_DEV_IP")
  echo "NOTE: network namespaces are unavailable ($why): testing on loopback instead"
else
  echo "FAIL: neither network namespaces nor loopback could carry the test's traffic" >&2
  exit 1
fi
mqtt=yes
[ -n "${NETLAB_MQTT_PORT:-}" ] || { mqtt=""; echo "NOTE: no MQTT broker; the run goes without MQTT"; }

# the traffic generators as one command, for the script's exec lines
cat >"$work/gen" <<GEN
#!/usr/bin/env bash
source "$here/netlab.sh"
netlab_attach
case \$1 in
  flood) netlab_dev "\$NETLAB_PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for i in range(int(sys.argv[4])):
    s.sendto(b"f" * 1400, (sys.argv[2], int(sys.argv[3])))' "\$NETLAB_DEV_IP" "\$NETLAB_LAB_IP" "\$NETLAB_UDP_PORT" "\$2" ;;
  *) "\$@" >/dev/null ;;
esac
GEN
chmod +x "$work/gen"
gen=$work/gen

# an independent reference: tshark on the same interface with the same filter
if [ "${filter[0]}" = --mac ]; then bpf="ether host $NETLAB_DEV_MAC"; else bpf="host $NETLAB_DEV_IP"; fi
netlab_lab_bg tshark -q -i "$NETLAB_LAB_IF" -f "$bpf" -F pcap -w "$work/reference.pcap" 2>"$work/tshark.err"
tshark_pid=$NETLAB_BG_PID
# "Capturing on" comes before dumpcap has opened the interface, "File:" after
for _ in $(seq 100); do grep -q "^File:" "$work/tshark.err" && break; sleep 0.05; done
netlab_udp_stream_start 200

# ---- a scripted run of the camera protocol --------------------------------------------------------
ds=$work/dataset
{
  echo "start setup"
  echo "exec $gen netlab_dns cloud.ciot.test"
  echo "exec $gen netlab_https setup"
  [ -z "$mqtt" ] || echo "exec $gen netlab_mqtt ciot/setup hello"
  echo "note paired in the app"
  echo "next idle_local 2"            # back to back with setup
  echo "wait"                         # its countdown ends it
  echo "skip idle_remote"
  echo "wait 0.3"
  echo "start watch_local 2"
  echo "exec $gen netlab_https watch"
  echo "wait"
  echo "skip speak_local"
  echo "start watch_remote"
  echo "exec $gen netlab_https attempt"
  echo "redo"                         # set aside, offered again
  echo "start watch_remote 1"
  echo "wait"
  echo "skip speak_remote"
  echo "skip update"
  echo "start delete"
  echo "exec $gen netlab_https delete"
  echo "wait 0.5"
  echo "end"
} >"$work/camera.script"
status=0
netlab_lab "$CIOT_CAPTURE" -q -i "$NETLAB_LAB_IF" --dataset "$ds" --device acme_camera --category camera \
  --home-country DE "${filter[@]}" --script "$work/camera.script" 2>"$work/run.err" || status=$?
cat "$work/run.err"
expect_eq "scripted run: exit status" "$status" 0
netlab_udp_stream_stop
sleep 1 # libpcap hands tshark its packets in blocks, the last one 250 ms after its first packet
netlab_stop "$tshark_pid" INT || true
m=$ds/manifest.json
expect_eq "steps recorded" "$(jq -r '[.captures[] | .subphase + ":" + .phase + ":" + .ended] | join(" ")' "$m")" \
  "setup:setup:operator idle_local:idle:timer watch_local:interaction:timer watch_remote:interaction:timer delete:deletion:operator"
expect_eq "skipped steps" "$(jq -r '[.runs[-1].skipped[].step] | join(" ")' "$m")" "idle_remote speak_local speak_remote update"
expect_eq "the redone attempt" "$(jq -r '.runs[-1].discarded[] | .step + " " + .file' "$m")" \
  "watch_remote acme_camera/acme_camera_watch_remote.pcap"
expect_eq "the redo's file name" "$(jq -r '.captures[3].file' "$m")" "acme_camera/acme_camera_watch_remote_2.pcap"
expect_eq "planned durations" "$(jq -r '[.captures[1,2,3] | .planned_seconds] | join(" ")' "$m")" "2 2 1"
expect_eq "kernel drops" "$(jq '[.captures[].kernel_drops] | add' "$m")+$(jq '.runs[-1].kernel_drops' "$m")" "0+0"
expect_eq "packets stamped in a step whose file was closed" "$(jq '.runs[-1].late_packets' "$m")" 0
jq -e '.captures[0].notes[0] | test("Z paired in the app$")' "$m" >/dev/null && pass "the note is on setup" ||
  fail "note: $(jq -c '.captures[0].notes' "$m")"

# every packet tshark saw inside a step is in that step's file, and nothing else is
python3 - "$m" "$work/reference.pcap" >"$work/compare.out" <<'PY' || fail "comparison with tshark: $(cat "$work/compare.out")"
import json, os, re, struct, sys
from datetime import datetime, timezone

def records(path):
    b = open(path, 'rb').read()
    assert struct.unpack_from('<I', b, 0)[0] == 0xa1b2c3d4, path
    out, off = [], 24
    while off + 16 <= len(b):
        sec, usec, caplen, wirelen = struct.unpack_from('<IIII', b, off)
        out.append((sec * 1000000 + usec, bytes(b[off + 16:off + 16 + caplen])))
        off += 16 + caplen
    assert off == len(b), path + ': ends inside a record'
    return out

def us(t):
    d = datetime.strptime(t[:19], '%Y-%m-%dT%H:%M:%S').replace(tzinfo=timezone.utc)
    return int(d.timestamp()) * 1000000 + int(t[20:26])

m = json.load(open(sys.argv[1]))
root = os.path.dirname(sys.argv[1])
steps = [(c['subphase'], us(c['start']), us(c['end']), c['file'], c['packets']) for c in m['captures']]
steps += [('discarded ' + d['step'], us(d['start']), us(d['end']), d['file'], d['packets'])
          for d in m['runs'][-1]['discarded']]
ref = records(sys.argv[2])
run = m['runs'][-1]
start, end = us(run['start']), us(run['end'])
ok = True
# The same packet gets its timestamp from each capture socket: the two differ by microseconds. A
# packet is the same when its bytes are, and its stamps are within SLACK of each other.
SLACK = 2000
by_bytes = {}
for t, d in ref:
    by_bytes.setdefault(d, []).append(t)
def take(t, d):
    ts = by_bytes.get(d, [])
    best = min(ts, key=lambda x: abs(x - t), default=None)
    if best is None or abs(best - t) > SLACK:
        return None
    ts.remove(best)
    return best
total_in_steps = 0
worst = 0
windows = []
for name, s, e, f, n in steps:
    got = records(os.path.join(root, f))
    total_in_steps += len(got)
    windows.append((s, e))
    if len(got) != n:
        print(f'{name}: the manifest says {n} packets, the file holds {len(got)}'); ok = False
    unmatched = 0
    for t, d in got:
        if not s <= t < e:
            print(f'{name}: a packet stamped {t} outside the step [{s}, {e})'); ok = False
        r = take(t, d)
        if r is None:
            unmatched += 1
        else:
            worst = max(worst, abs(r - t))
    if unmatched:
        print(f'{name}: {unmatched} of {len(got)} packets are not in the reference capture'); ok = False
    else:
        print(f'{name}: {len(got)} packets, each in the reference capture')
# what the reference saw inside a step's window, clear of its edges, must all have been taken
left = sorted((t, d) for d, ts in by_bytes.items() for t in ts)
missed = [t for t, d in left if any(s + SLACK <= t < e - SLACK for s, e in windows)]
if missed:
    print(f'{len(missed)} packets of the reference, stamped inside a step, are in no step file'); ok = False
else:
    print(f'no packet of the reference stamped inside a step is missing (stamps differ by at most {worst} us)')
during = [t for t, d in left if start + SLACK <= t < end - SLACK]
print(f'run: {run["packets"]} packets captured, {total_in_steps} in step files, {run["outside_steps"]["packets"]} '
      f'counted outside; the reference has {len(ref)} packets, {len(left)} in no step file')
if run['packets'] != total_in_steps + run['outside_steps']['packets']:
    print('the run record does not add up'); ok = False
if len(during) > run['outside_steps']['packets']:
    print(f'{len(during)} packets outside every step while ciot-capture ran, more than it counted'); ok = False
for c in m['captures']:
    if c['ended'] == 'timer' and us(c['end']) - us(c['start']) != c['planned_seconds'] * 1000000:
        print(f'{c["subphase"]}: a timed step of {c["planned_seconds"]} s ran from {c["start"]} to {c["end"]}'); ok = False
# zero loss across back-to-back steps: the numbered UDP stream runs on from setup into idle_local
def seqs(f):
    found = (re.search(rb'ciot-seq (\d{8})', d) for t, d in records(os.path.join(root, f)))
    return [int(x.group(1)) for x in found if x]
a, b = seqs(steps[0][3]), seqs(steps[1][3])
if not a or not b or b[0] != a[-1] + 1 or a != list(range(a[0], a[-1] + 1)) or b != list(range(b[0], b[-1] + 1)):
    print(f'UDP numbers across setup -> idle_local are not contiguous'); ok = False
else:
    print(f'UDP numbers {a[0]}..{a[-1]} in setup, {b[0]}..{b[-1]} in idle_local: none lost at the boundary')
sys.exit(0 if ok else 1)
PY
sed 's/^/  /' "$work/compare.out"

# ciot-analyze finds each step's flows where they belong
"$CIOT_ANALYZE" -q -o "$work/lab.db" "$m" 2>"$work/analyze.err" || fail "ciot-analyze: exit $? ($(cat "$work/analyze.err"))"
# the one warning: acme is no brand datasets/attribution knows (the home country was given)
expect_eq "the manifest's home country (--home-country)" "$(jq -r .home_country "$m")" DE
expect_eq "ciot-analyze: only the brand warning" "$(cat "$work/analyze.err")" \
  "$work/lab.db: warning: device acme_camera has a brand that datasets/attribution/brands.tsv does not know, and the manifest names no vendor: none of its servers can be first party by brand"
flows() { q "$work/lab.db" "SELECT group_concat(x, ' ') FROM (SELECT DISTINCT transport || '/' || remote_port AS x
  FROM flow_view WHERE subphase = '$1' AND remote_port <> $NETLAB_UDP_PORT ORDER BY 1)"; }
sorted() { printf '%s\n' "$@" | sort | paste -sd' '; }
# each HTTPS request looks the name up first, in the namespaces (on loopback curl is given it)
https_flows=("tcp/$NETLAB_HTTPS_PORT")
[ "$NETLAB_MODE" != netns ] || https_flows+=("udp/$NETLAB_DNS_PORT")
expect_eq "setup's flows" "$(flows setup)" \
  "$(sorted "tcp/$NETLAB_HTTPS_PORT" "udp/$NETLAB_DNS_PORT" ${NETLAB_MQTT_PORT:+"tcp/$NETLAB_MQTT_PORT"})"
expect_eq "idle_local's flows besides the UDP stream" "$(flows idle_local)" ""
expect_eq "watch_local's flows" "$(flows watch_local)" "$(sorted "${https_flows[@]}")"
expect_eq "delete's flows" "$(flows delete)" "$(sorted "${https_flows[@]}")"
expect_eq "the redone attempt is not analyzed" "$(q "$work/lab.db" "SELECT count(*) FROM captures WHERE subphase = 'watch_remote'")" 1
expect_eq "TLS server name in setup" "$(q "$work/lab.db" "SELECT group_concat(DISTINCT server_name) FROM flow_view WHERE subphase = 'setup' AND remote_port = $NETLAB_HTTPS_PORT")" \
  "cloud.ciot.test"
expect_eq "the device" "$(q "$work/lab.db" "SELECT name || ' ' || category || ' ' || brand FROM devices")" "acme_camera camera acme"

# ---- SIGTERM in a step, a second run appends ------------------------------------------------------
fifo=$work/control
netlab_lab_bg "$CIOT_CAPTURE" -q -i "$NETLAB_LAB_IF" --dataset "$ds" --device acme_camera "${filter[@]}" \
  --control "$fifo" 2>"$work/term.err"
pid=$NETLAB_BG_PID
for _ in $(seq 100); do [ -p "$fifo" ] && break; sleep 0.05; done
exec 3<>"$fifo"
echo "start setup" >&3
running() { jq -e --arg s "$1" '.captures[-1] | select(.subphase == $s and .ended == "running")' "$m" >/dev/null 2>&1; }
for _ in $(seq 100); do running setup && break; sleep 0.05; done
running setup && pass "the manifest shows the running step at once" || fail "no running setup step in the manifest"
netlab_https after-restart
status=0
netlab_stop "$pid" TERM || status=$?
exec 3>&-
expect_eq "SIGTERM: exit status" "$status" 143
expect_eq "SIGTERM: the step" "$(jq -r '.captures[-1] | .file + " " + .ended' "$m")" \
  "acme_camera/acme_camera_setup_2.pcap interrupted"
expect_eq "SIGTERM: the run" "$(jq -r '.runs[-1].ended' "$m")" interrupted
n=$(capinfos -M -c -T "$ds/acme_camera/acme_camera_setup_2.pcap" 2>/dev/null | tail -1 | cut -f2)
[ "${n:-0}" -gt 0 ] && [ "$n" = "$(jq '.captures[-1].packets' "$m")" ] && pass "SIGTERM: $n packets, as recorded" ||
  fail "SIGTERM: the file holds ${n:-no} packets, the manifest says $(jq '.captures[-1].packets' "$m")"
expect_eq "runs in the manifest" "$(jq '.runs | length' "$m")" 2
"$CIOT_ANALYZE" -q -o "$work/lab2.db" "$m" 2>"$work/analyze.err" && pass "the appended manifest is analyzed" ||
  fail "ciot-analyze on the appended manifest: $(cat "$work/analyze.err")"

# ---- the operator's keys, from a pipe: Enter starts, n notes, Enter ends, s skips, q stops ----------
status=0
{ echo; sleep 0.5; echo "n typed by the operator"; echo "r"; sleep 0.3; echo; sleep 0.3; echo; sleep 0.6; echo s
  echo "start idle_remote 1"; sleep 0.2; echo q; } |
  netlab_lab "$CIOT_CAPTURE" -q -i "$NETLAB_LAB_IF" --dataset "$work/keys" --device acme_hub --category hub \
    "${filter[@]}" 2>"$work/keys.err" || status=$?
km=$work/keys/manifest.json
expect_eq "keys: exit status" "$status" 0
expect_eq "keys: steps" "$(jq -r '[.captures[] | .subphase + ":" + .ended] | join(" ")' "$km")" "setup:operator idle_remote:operator"
expect_eq "keys: skipped, set aside" "$(jq -r '[.runs[-1].skipped[].step] + [.runs[-1].discarded[].step] | join(" ")' "$km")" \
  "idle_local setup"
jq -e '.runs[-1].discarded[0].notes[0] | test("Z typed by the operator$")' "$km" >/dev/null &&
  pass "keys: the note stays with the attempt it was made in" || fail "keys: notes $(jq -c '.runs' "$km")"
grep -q "Step 1 of 5: setup" "$work/keys.err" && grep -q "Enter: start   s: skip" "$work/keys.err" &&
  pass "keys: the step and its instructions are shown" || fail "keys: $(head -5 "$work/keys.err")"

# ---- a full disk ----------------------------------------------------------------------------------
mkdir -p "$work/small"
if mount -t tmpfs -o size=8m ciot-test "$work/small" 2>/dev/null; then
  mounted=$work/small
  printf 'start setup\nexec %s flood 6000\nend\n' "$gen" >"$work/flood.script"
  status=0
  netlab_lab "$CIOT_CAPTURE" -q -i "$NETLAB_LAB_IF" --dataset "$mounted/ds" --device acme_plug --category plug \
    "${filter[@]}" --script "$work/flood.script" 2>"$work/full.err" || status=$?
  expect_eq "full disk: exit status" "$status" 1
  grep -q "No space left on device" "$work/full.err" && pass "full disk: said so" || fail "full disk: $(cat "$work/full.err")"
  fm=$mounted/ds/manifest.json
  expect_eq "full disk: the step" "$(jq -r '.captures[-1].ended + " " + .runs[-1].ended' "$fm")" "disk_full disk_full"
  f=$mounted/ds/acme_plug/acme_plug_setup.pcap
  n=$(capinfos -M -c -T "$f" 2>"$work/capinfos.err" | tail -1 | cut -f2)
  [ "${n:-0}" -gt 1000 ] && [ ! -s "$work/capinfos.err" ] && [ "$n" = "$(jq '.captures[-1].packets' "$fm")" ] &&
    pass "full disk: a valid file of $n packets, as recorded ($(jq '.captures[-1].lost_packets // 0' "$fm") lost)" ||
    fail "full disk: ${n:-no} packets, manifest $(jq '.captures[-1].packets' "$fm"): $(cat "$work/capinfos.err")"
  [ ! -e "$mounted/ds/.ciot-capture.reserve" ] && pass "full disk: the reserve is released" || fail "full disk: reserve left"
  umount "$mounted" && mounted=""
else
  echo "NOTE: cannot mount a small tmpfs here (not root?): the full-disk case is not tested"
fi

# ---- the interface goes away (namespaces only) ----------------------------------------------------
if [ "$NETLAB_MODE" = netns ]; then
  netlab_lab_bg "$CIOT_CAPTURE" -q -i "$NETLAB_LAB_IF" --dataset "$ds" --device acme_camera "${filter[@]}" \
    --control "$fifo" 2>"$work/gone.err"
  pid=$NETLAB_BG_PID
  exec 3<>"$fifo"
  echo "start watch_local" >&3
  for _ in $(seq 100); do running watch_local && break; sleep 0.05; done
  netlab_https before-the-link-goes
  ip -n "$NETLAB_LAB_NS" link del "$NETLAB_LAB_IF"
  status=0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  netlab_stop "$pid" TERM || status=$?
  exec 3>&-
  expect_eq "lost interface: exit status" "$status" 1
  expect_eq "lost interface: the step" "$(jq -r '.captures[-1] | .subphase + " " + .ended' "$m") $(jq -r '.runs[-1].ended' "$m")" \
    "watch_local interface_lost interface_lost"
  f=$ds/$(jq -r '.captures[-1].file' "$m")
  n=$(capinfos -M -c -T "$f" 2>/dev/null | tail -1 | cut -f2)
  [ "${n:-0}" -gt 0 ] && [ "$n" = "$(jq '.captures[-1].packets' "$m")" ] && pass "lost interface: $n packets kept, as recorded" ||
    fail "lost interface: ${n:-no} packets, manifest $(jq '.captures[-1].packets' "$m"); $(cat "$work/gone.err")"
fi

finish
