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
# how each step ended is in the captures export, and summary's hours are the steps' durations
"$CIOT_REPORT" "$work/lab.db" captures --format json -o "$work/captures.json"
expect_eq "captures export: how each step ended" \
  "$(jq -r '[.[] | .subphase + ":" + .ended] | sort | join(" ")' "$work/captures.json")" \
  "delete:operator idle_local:timer setup:operator watch_local:timer watch_remote:timer"
"$CIOT_REPORT" "$work/lab.db" summary --format json -o "$work/summary.json"
step_seconds=$(python3 - "$m" <<'PY'
import json, sys
from datetime import datetime, timezone
def us(t):
    return int(datetime.strptime(t[:19], '%Y-%m-%dT%H:%M:%S').replace(tzinfo=timezone.utc).timestamp()) * 1000000 + int(t[20:26])
print('%.3f' % (sum(us(c['end']) - us(c['start']) for c in json.load(open(sys.argv[1]))['captures']) / 1e6))
PY
)
expect_eq "summary: hours are the sum of the steps' durations (in seconds)" \
  "$(jq -r '.[0].hours * 3600' "$work/summary.json" | awk '{ printf "%.3f", $1 }')" "$step_seconds"
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
# one run writes a dataset at a time: a second live run and a split are refused while this one runs,
# naming it, before they write anything
entries=$(jq -c '[.captures[].file]' "$m")
status=0
netlab_lab "$CIOT_CAPTURE" -q -i "$NETLAB_LAB_IF" --dataset "$ds" --device acme_camera "${filter[@]}" \
  --script /dev/null 2>"$work/second.err" || status=$?
expect_eq "a second live run on the dataset: exit status" "$status" 3
grep -q "dataset $ds is in use by another ciot-capture run (pid $pid)" "$work/second.err" &&
  pass "a second live run is refused, naming the run's pid" || fail "second run: $(cat "$work/second.err")"
printf 'setup setup 2026-01-01T00:00:00Z 2026-01-01T00:01:00Z\n' >"$work/one.timeline"
status=0
"$CIOT_CAPTURE" --split "$work/reference.pcap" --timeline "$work/one.timeline" --dataset "$ds" --device acme_camera \
  2>"$work/second.err" || status=$?
expect_eq "a split into the dataset while a live run holds it: exit status" "$status" 3
grep -q "(pid $pid)" "$work/second.err" && pass "the split is refused, naming the run's pid" ||
  fail "split during a run: $(cat "$work/second.err")"
expect_eq "the refused runs changed no entry" "$(jq -c '[.captures[].file]' "$m")" "$entries"
expect_eq "the refused runs left no file" "$(find "$ds" -newer "$work/one.timeline" -name '*.pcap' | wc -l)" 0
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
wrote=$(grep -n "wrote acme_hub/acme_hub_setup_2.pcap" "$work/keys.err" | cut -d: -f1)
offered=$(grep -n "Step 2 of 5: idle_local" "$work/keys.err" | cut -d: -f1)
[ -n "$wrote" ] && [ -n "$offered" ] && [ "$wrote" -lt "$offered" ] &&
  pass "keys: the finished step's file is reported before the next step's instructions" ||
  fail "keys: 'wrote' at line ${wrote:-none}, the next step at line ${offered:-none}"
grep -q "^  skipped idle_local$" "$work/keys.err" && pass "keys: skip says what it skipped" ||
  fail "keys: no skip confirmation: $(cat "$work/keys.err")"

# ---- at a real terminal (a pty): what is typed stays at the end of the progress line ---------------
if [ "$NETLAB_MODE" = netns ]; then
  python3 - "$CIOT_CAPTURE" "$NETLAB_LAB_NS" "$NETLAB_LAB_IF" "$NETLAB_DEV_MAC" "$work/tty" >"$work/tty.out" 2>&1 <<'PY' &&
import os, pty, re, select, sys, time
tool, ns, iface, mac, ds = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp('ip', ['ip', 'netns', 'exec', ns, tool, '-i', iface, '--dataset', ds, '--device', 'acme_hub',
                     '--category', 'hub', '--mac', mac])
seen = b''
def read_for(seconds, until=None):
    global seen
    end = time.time() + seconds
    while time.time() < end and not (until and until in seen):
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
def fail(why):
    print(why, repr(seen[-600:]))
    sys.exit(1)
read_for(10, b'Enter: start')
os.write(fd, b'\r')
read_for(5, b'started setup')
read_for(1.3)
os.write(fd, b'n hel')
mark = len(seen)
read_for(1.5)
# the last redraw of the line: the progress, then what is typed
last = seen[mark:].split(b'\r\x1b[K')[-1]
if not re.match(rb'\[setup\] \d\d:\d\d  \d+ packets .*  > n hel$', last):
    fail('the progress line does not end with what is typed: %r' % last)
os.write(fd, b'lo\r')
read_for(3, b'noted')
if b'> n hello\r\n' not in seen or b'noted' not in seen:
    fail('the typed command is not shown on a line of its own')
os.write(fd, b'q\r')
read_for(5)
_, status = os.waitpid(pid, 0)
if os.waitstatus_to_exitcode(status) != 0:
    fail('exit status %d' % os.waitstatus_to_exitcode(status))
print('typed text stays on the progress line, the command is echoed on its own line')
PY
    pass "pty: $(cat "$work/tty.out")" || fail "pty: $(cat "$work/tty.out")"
  expect_eq "pty: the note" "$(jq -r '.captures[0].notes[0] | sub("^[^ ]* "; "")' "$work/tty/manifest.json")" hello
fi

# ---- arguments that are wrong leave nothing behind --------------------------------------------------
refused() { # name expected-status expected-message args...
  local name=$1 want=$2 msg=$3 status=0
  shift 3
  rm -rf "$work/fresh"
  netlab_lab "$CIOT_CAPTURE" -q --dataset "$work/fresh" --device acme_plug --category plug "$@" \
    --script /dev/null 2>"$work/refused.err" || status=$?
  expect_eq "$name: exit status" "$status" "$want"
  grep -q -- "$msg" "$work/refused.err" && pass "$name: $(head -1 "$work/refused.err")" ||
    fail "$name: $(cat "$work/refused.err")"
  [ ! -e "$work/fresh" ] && pass "$name: no dataset folder made" || fail "$name: left $(find "$work/fresh")"
}
refused "--from with a typo" 2 'no step "idle_locl" in the plug protocol' -i "$NETLAB_LAB_IF" "${filter[@]}" --from idle_locl
refused "a malformed MAC" 2 '"02:c1:07:00:00" is not a MAC address' -i "$NETLAB_LAB_IF" --mac 02:c1:07:00:00
refused "an interface that does not exist" 2 "no interface \"nosuch0\" (this machine has: .*$NETLAB_LAB_IF" \
  -i nosuch0 "${filter[@]}"
# a MAC the device's entry lacks is refused, not added; --add-mac adds it and says so
status=0
netlab_lab "$CIOT_CAPTURE" -q -i "$NETLAB_LAB_IF" --dataset "$work/keys" --device acme_hub --mac 02:c1:07:00:00:99 \
  --script /dev/null 2>"$work/refused.err" || status=$?
expect_eq "a MAC the device does not have: exit status" "$status" 2
grep -q -- "not 02:c1:07:00:00:99: check --mac, or give --add-mac" "$work/refused.err" &&
  pass "a MAC the device does not have is refused" || fail "unknown MAC: $(cat "$work/refused.err")"
expect_eq "the device's MACs stay" "$(jq -c '.devices[0].mac' "$km")" '["02:c1:07:00:00:02"]'

# a resumed run (--from) records no earlier step as skipped
printf 'start\nwait 0.3\nend\n' >"$work/resume.script"
status=0
netlab_lab "$CIOT_CAPTURE" -q -i "$NETLAB_LAB_IF" --dataset "$work/keys" --device acme_hub "${filter[@]}" \
  --from idle_remote --script "$work/resume.script" 2>"$work/resume.err" || status=$?
expect_eq "resumed run: exit status" "$status" 0
expect_eq "resumed run: its step, nothing skipped" \
  "$(jq -r '.captures[-1].subphase + " from " + .runs[-1].from + ", skipped: " + (.runs[-1].skipped | length | tostring)' "$km")" \
  "idle_remote from idle_remote, skipped: 0"

# --remove: an attempt out of the captures, kept under the run's "removed", the file left on disk
status=0
"$CIOT_CAPTURE" --dataset "$work/keys" --device acme_hub --remove idle_remote 2>"$work/remove.err" || status=$?
expect_eq "remove with two attempts and no --attempt: exit status" "$status" 2
status=0
"$CIOT_CAPTURE" --dataset "$work/keys" --device acme_nothing --remove setup 2>"$work/remove2.err" || status=$?
expect_eq "remove for a device not in the manifest: exit status" "$status" 2
grep -q "device \"acme_nothing\" is not in $work/keys/manifest.json" "$work/remove2.err" &&
  pass "remove names the device it does not find" || fail "remove, unknown device: $(cat "$work/remove2.err")"
grep -q "attempt 1: acme_hub/acme_hub_idle_remote.pcap (ended operator); attempt 2: acme_hub/acme_hub_idle_remote_2.pcap" \
  "$work/remove.err" && pass "remove lists the attempts" || fail "remove: $(cat "$work/remove.err")"
"$CIOT_CAPTURE" --dataset "$work/keys" --device acme_hub --remove idle_remote --attempt 1 2>"$work/remove.err" ||
  fail "remove --attempt 1: exit $? ($(cat "$work/remove.err"))"
grep -q "removed acme_hub/acme_hub_idle_remote.pcap (idle_remote, ended operator" "$work/remove.err" &&
  pass "remove says what it removed" || fail "remove: $(cat "$work/remove.err")"
expect_eq "after remove: the captures" "$(jq -r '[.captures[].file] | join(" ")' "$km")" \
  "acme_hub/acme_hub_setup_2.pcap acme_hub/acme_hub_idle_remote_2.pcap"
expect_eq "after remove: the entry kept" "$(jq -r '.runs[-1] | .command + " " + .removed[0].file' "$km")" \
  "remove acme_hub/acme_hub_idle_remote.pcap"
[ -f "$work/keys/acme_hub/acme_hub_idle_remote.pcap" ] && pass "after remove: the file stays" || fail "remove deleted the file"
"$CIOT_ANALYZE" -q -o "$work/keys.db" "$km" 2>"$work/analyze.err" && pass "the manifest after remove is analyzed" ||
  fail "ciot-analyze after remove: $(cat "$work/analyze.err")"

# the clock: warned about exactly when the kernel says it is not synchronized (adjtimex STA_UNSYNC)
unsync=$(python3 -c 'import ctypes
class Timex(ctypes.Structure):
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("rest", ctypes.c_char * 256)]
t = Timex()
ctypes.CDLL(None).adjtimex(ctypes.byref(t))
print("yes" if t.status & 0x40 else "no")')
warned=no
grep -q "the kernel says the clock is not synchronized" "$work/resume.err" && warned=yes
expect_eq "clock not synchronized: warned" "$warned" "$unsync"
expect_eq "clock state recorded in the run" "$(jq -r '.runs[-2].clock_synchronized' "$km")" \
  "$([ "$unsync" = yes ] && echo false || echo true)"

# ---- a MAC that never appears: warned within 10 s, naming the MACs seen ------------------------------
if [ "$NETLAB_MODE" = netns ]; then
  netlab_udp_stream_start 50
  printf 'start setup\nwait 12\nend\n' >"$work/silent.script"
  started=$(date +%s.%N)
  netlab_lab_bg "$CIOT_CAPTURE" -q -i "$NETLAB_LAB_IF" --dataset "$work/silent" --device acme_plug --category plug \
    --mac 02:c1:07:00:00:77 --script "$work/silent.script" 2>"$work/silent.err"
  pid=$NETLAB_BG_PID
  for _ in $(seq 120); do grep -q "warning: in" "$work/silent.err" && break; sleep 0.1; done
  seen=$(date +%s.%N)
  netlab_stop "$pid" TERM || true
  netlab_udp_stream_stop || true
  grep -q "no frame from or to the device (ether host 02:c1:07:00:00:77), while [0-9]* other frames passed; frames came from $NETLAB_DEV_MAC (" \
    "$work/silent.err" && pass "a wrong MAC: warned, naming the device's real MAC" || fail "wrong MAC: $(cat "$work/silent.err")"
  awk -v a="$started" -v b="$seen" 'BEGIN { exit !(b - a <= 10) }' &&
    pass "a wrong MAC: the warning came within 10 s ($(awk -v a="$started" -v b="$seen" 'BEGIN { printf "%.1f", b - a }') s)" ||
    fail "a wrong MAC: no warning within 10 s"
fi

# ---- a full disk ----------------------------------------------------------------------------------
mkdir -p "$work/small"
if mount -t tmpfs -o size=8m ciot-test "$work/small" 2>/dev/null; then
  mounted=$work/small
  # more than the 8 MiB hold even when a loaded machine drops a third of them (kernel drops)
  printf 'start setup\nexec %s flood 24000\nend\n' "$gen" >"$work/flood.script"
  status=0
  netlab_lab "$CIOT_CAPTURE" -q -i "$NETLAB_LAB_IF" --dataset "$mounted/ds" --device acme_plug --category plug \
    "${filter[@]}" --script "$work/flood.script" 2>"$work/full.err" || status=$?
  expect_eq "full disk: exit status" "$status" 1
  grep -q "No space left on device" "$work/full.err" && pass "full disk: said so" || fail "full disk: $(cat "$work/full.err")"
  fm=$mounted/ds/manifest.json
  expect_eq "full disk: the step" "$(jq -r '.captures[-1].ended + " " + .runs[-1].ended' "$fm")" "disk_full disk_full"
  f=$mounted/ds/acme_plug/acme_plug_setup.pcap
  n=$(capinfos -M -c -T "$f" 2>"$work/capinfos.err" | tail -1 | cut -f2)
  # 1,442-byte frames: the manifest's reserve is what it needs, not 4 MiB of the 8 (2,864 packets)
  [ "${n:-0}" -gt 5000 ] && [ ! -s "$work/capinfos.err" ] && [ "$n" = "$(jq '.captures[-1].packets' "$fm")" ] &&
    pass "full disk: a valid file of $n packets, as recorded ($(jq '.captures[-1].lost_packets // 0' "$fm") lost)" ||
    fail "full disk: ${n:-no} packets, manifest $(jq '.captures[-1].packets' "$fm"): $(cat "$work/capinfos.err")"
  [ ! -e "$mounted/ds/.ciot-capture.reserve" ] && pass "full disk: the reserve is released" || fail "full disk: reserve left"
  lost=$(jq '.captures[-1].lost_packets // 0' "$fm")
  { [ "$lost" = 0 ] || grep -q "^  $lost packets of the step were lost: the disk is full" "$work/full.err"; } &&
    grep -q ", $lost lost to a full disk\|^ciot-capture: .* dropped by the kernel$" "$work/full.err" &&
    pass "full disk: the $lost packets lost are on screen" || fail "full disk: lost packets not shown: $(cat "$work/full.err")"
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
