#!/usr/bin/env bash
# ciot-capture --split: a long corpus capture cut by a made-up timetable gives, for every step,
# exactly the records editcap selects for the same window (byte for byte), the manifest entries
# ciot-analyze reads, and the same per-step figures as ciot-analyze reading the unsplit capture
# with its timetable; ciot's own timeline format cuts at microseconds and keeps nanosecond
# timestamps; bad input leaves no files and no manifest behind.
source "$(dirname "$0")/lib.sh"
need_corpus
: "${CIOT_CAPTURE:?}"
src=$CIOT_CORPUS/ndpi/netflix.pcap   # 1,793 frames over 90 s, 2017-01-13 14:50:30-14:52:00 UTC
dev=acme_camera
epoch() { date -u -d "$1" +%s; }

# the public dataset's timetable: local time (+8), 1 s resolution, the end second included; gaps
# between steps, two steps back to back, one that runs past the capture's end
cat >"$work/$dev.txt" <<'TXT'
setup 2017-01-13_22:50:35 2017-01-13_22:50:49 15
idle_local 2017-01-13_22:50:55 2017-01-13_22:51:19 25
watch_local 2017-01-13_22:51:20 2017-01-13_22:51:39 20
delete 2017-01-13_22:51:45 2017-01-13_22:52:30 46
TXT
windows="setup 14:50:35 14:50:50
idle_local 14:50:55 14:51:20
watch_local 14:51:20 14:51:40
delete 14:51:45 14:52:31"

ds=$work/split
"$CIOT_CAPTURE" --split "$src" --timeline "$work/$dev.txt" --dataset "$ds" --device $dev --category camera \
  --ip 192.168.1.7 2>"$work/err" || fail "split: exit $? ($(cat "$work/err"))"
cat "$work/err"
total=0
while read -r step from to; do
  file=$ds/$dev/${dev}_$step.pcap
  [ -f "$file" ] || { fail "no $file"; continue; }
  editcap -F pcap -A "$(epoch "2017-01-13 $from")" -B "$(epoch "2017-01-13 $to")" "$src" "$work/ref.pcap" 2>/dev/null
  n=$(capinfos -M -c -T "$work/ref.pcap" | tail -1 | cut -f2)
  total=$((total + n))
  # the records, timestamps and bytes, identical to editcap's (the file headers may differ in snaplen)
  if cmp -s <(tail -c +25 "$file") <(tail -c +25 "$work/ref.pcap"); then pass "$step: $n records as editcap selects them"
  else fail "$step: records differ from editcap's ($n expected, $(capinfos -M -c -T "$file" | tail -1 | cut -f2) written)"; fi
  expect_eq "$step: packets in the manifest" \
    "$(jq -r --arg f "$dev/${dev}_$step.pcap" '.captures[] | select(.file == $f) | .packets' "$ds/manifest.json")" "$n"
done <<<"$windows"
all=$(capinfos -M -c -T "$src" | tail -1 | cut -f2)
grep -q "$total of $all frames written, $((all - total)) outside every step" "$work/err" &&
  pass "frames outside every step counted: $((all - total))" || fail "split summary: $(cat "$work/err")"
expect_eq "run record: outside" "$(jq '.runs[-1].outside_steps.packets' "$ds/manifest.json")" "$((all - total))"
expect_eq "phases" "$(jq -r '[.captures[] | .phase] | join(",")' "$ds/manifest.json")" "setup,idle,interaction,deletion"
expect_eq "window of setup" "$(jq -r '.captures[0] | .start + " " + .end' "$ds/manifest.json")" \
  "2017-01-13T14:50:35.000000Z 2017-01-13T14:50:50.000000Z"

# ciot-analyze: the split files and the unsplit capture with its timetable give the same figures
"$CIOT_ANALYZE" -q -o "$work/split.db" "$ds/manifest.json" 2>"$work/err" || fail "analyze split: $(cat "$work/err")"
mkdir -p "$work/lc/$dev"
ln -s "$src" "$work/lc/$dev/$dev.pcap"
cp "$work/$dev.txt" "$work/lc/$dev/"
echo "$dev,192.168.1.7" >"$work/ips.csv"
"$CIOT_ANALYZE" -q -o "$work/lc.db" --ip-table "$work/ips.csv" "$work/lc" 2>"$work/err" || fail "analyze unsplit: $(cat "$work/err")"
per_step="SELECT c.subphase, c.phase, count(f.id), sum(f.packets_out + f.packets_in), sum(f.bytes_out + f.bytes_in)
  FROM captures c LEFT JOIN flows f ON f.capture_id = c.id GROUP BY c.id ORDER BY c.window_start_us, c.subphase"
split_rows=$(q "$work/split.db" "${per_step/c.window_start_us/c.id}")
lc_rows=$(q "$work/lc.db" "$per_step")
expect_eq "flows, packets and bytes per step: split vs unsplit" "$split_rows" "$lc_rows"
[ "$(echo "$split_rows" | wc -l)" = 4 ] && [ -n "$(echo "$split_rows" | awk -F'|' '$3 > 0')" ] &&
  pass "4 steps with flows" || fail "unexpected per-step rows: $split_rows"

# a second split of the same device appends: _2 files, earlier entries kept
"$CIOT_CAPTURE" --split "$src" --timeline "$work/$dev.txt" --dataset "$ds" --device $dev 2>/dev/null ||
  fail "second split: exit $?"
expect_eq "captures after a second split" "$(jq '.captures | length' "$ds/manifest.json")" 8
[ -f "$ds/$dev/${dev}_setup_2.pcap" ] && cmp -s "$ds/$dev/${dev}_setup.pcap" "$ds/$dev/${dev}_setup_2.pcap" &&
  pass "second run wrote ${dev}_setup_2.pcap" || fail "no identical ${dev}_setup_2.pcap"

# two runs into one dataset at once: each either lands whole or is refused (exit 3) before writing;
# no manifest entry is ever lost. First with the lock held by another process (flock(1)), then four
# splits started together.
race=$work/race
mkdir -p "$race"
flock "$race/.ciot-capture.lock" sleep 3 &
holder=$!
sleep 0.3
status=0
"$CIOT_CAPTURE" --split "$src" --timeline "$work/$dev.txt" --dataset "$race" --device $dev --category camera \
  --ip 192.168.1.7 2>"$work/err" || status=$?
expect_eq "split while the dataset is locked: exit status" "$status" 3
grep -q "dataset $race is in use by another ciot-capture run (pid unknown)" "$work/err" &&
  pass "split while the dataset is locked: refused" || fail "locked split: $(cat "$work/err")"
[ ! -e "$race/manifest.json" ] && [ ! -e "$race/$dev" ] && pass "the refused split wrote nothing" ||
  fail "the refused split left $(find "$race" -type f)"
wait "$holder"
pids=()
for i in 1 2 3 4; do
  "$CIOT_CAPTURE" --split "$src" --timeline "$work/$dev.txt" --dataset "$race" --device $dev --category camera \
    --ip 192.168.1.7 2>"$work/race.$i.err" &
  pids+=($!)
done
landed=0
for i in 1 2 3 4; do
  status=0
  wait "${pids[$((i - 1))]}" || status=$?
  case $status in
    0) landed=$((landed + 1)) ;;
    3) grep -q "is in use by another ciot-capture run (pid [0-9]*)" "$work/race.$i.err" ||
         fail "concurrent split $i: refused without naming the other run: $(cat "$work/race.$i.err")" ;;
    *) fail "concurrent split $i: exit $status ($(cat "$work/race.$i.err"))" ;;
  esac
done
expect_eq "concurrent splits: entries of the $landed that ran" "$(jq '.captures | length' "$race/manifest.json")" $((landed * 4))
expect_eq "concurrent splits: runs recorded" "$(jq '.runs | length' "$race/manifest.json")" "$landed"
expect_eq "concurrent splits: files on disk" "$(find "$race" -name '*.pcap' | wc -l)" $((landed * 4))
expect_eq "concurrent splits: entries without a file, or running" \
  "$(jq -r '.captures[] | .file + " " + .ended' "$race/manifest.json" | while read -r f e; do
      [ -f "$race/$f" ] && [ "$e" = split ] || echo "$f $e"; done | wc -l)" 0

# ciot's own timeline: microsecond windows, and a nanosecond capture stays nanosecond
ns=$CIOT_CORPUS/ndpi/someip_sd_sample.pcap
mapfile -t t < <(tshark -r "$ns" -T fields -e frame.time_epoch 2>/dev/null)
[ "${#t[@]}" = 6 ] || fail "someip_sd_sample.pcap: expected 6 frames"
iso() { date -u -d "@${1%.*}" +%Y-%m-%dT%H:%M:%S.$(printf '%.6s' "${1#*.}")Z; }
# the second window starts exactly at frame 4's microsecond (frame 4 is in it) and ends at frame 5's
# (frame 5 is not)
printf 'first interaction %s %s\nsecond interaction %s %s\n' "$(iso "${t[0]}")" "$(iso "${t[3]}")" \
  "$(iso "${t[3]}")" "$(iso "${t[4]}")" >"$work/own.timeline"
"$CIOT_CAPTURE" --split "$ns" --timeline "$work/own.timeline" --dataset "$work/own" --device acme_hub \
  --category hub --ip 10.0.0.1 2>"$work/err" || fail "own timeline: exit $? ($(cat "$work/err"))"
expect_eq "own timeline: frames per step" \
  "$(capinfos -M -c -T "$work/own/acme_hub/acme_hub_first.pcap" "$work/own/acme_hub/acme_hub_second.pcap" | tail -2 | cut -f2 | paste -sd,)" "3,1"
expect_eq "nanosecond timestamps kept" \
  "$(tshark -r "$work/own/acme_hub/acme_hub_second.pcap" -T fields -e frame.time_epoch 2>/dev/null)" "${t[3]}"
expect_eq "nanosecond file" "$(head -c 4 "$work/own/acme_hub/acme_hub_second.pcap" | od -An -tx1 | tr -d ' ')" "4d3cb2a1"

# bad input: a reason, a non-zero exit, nothing left behind
check_refused() { # name expected-message args...
  local name=$1 msg=$2; shift 2
  rm -rf "$work/bad"
  local status=0
  "$CIOT_CAPTURE" "$@" --dataset "$work/bad" --device acme_plug --category plug 2>"$work/err" || status=$?
  [ "$status" -ne 0 ] && grep -q -- "$msg" "$work/err" && pass "$name refused: $(head -1 "$work/err")" ||
    fail "$name: exit $status, $(cat "$work/err")"
  [ -z "$(find "$work/bad" -name '*.pcap' 2>/dev/null)" ] && [ ! -f "$work/bad/manifest.json" ] &&
    pass "$name: no files left" || fail "$name: files left: $(find "$work/bad" -type f)"
}
printf 'a setup 2017-01-13T14:50:35Z 2017-01-13T14:51:00Z\nb idle 2017-01-13T14:50:59Z 2017-01-13T14:52:00Z\n' >"$work/overlap"
check_refused "overlapping steps" "overlap" --split "$src" --timeline "$work/overlap"
printf '../../etc/x setup 2017-01-13T14:50:35Z 2017-01-13T14:51:00Z\n' >"$work/evil"
check_refused "a step name with a path" "cannot be a file name" --split "$src" --timeline "$work/evil"
check_refused "a missing timeline" "No such file" --split "$src" --timeline "$work/none"
# a corrupt record half-way: the first frames were already cut into files, which must go again
python3 - "$src" "$work/corrupt.pcap" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
off = 24
for i in range(499):
    off += 16 + struct.unpack_from('<I', b, off + 8)[0]
struct.pack_into('<I', b, off + 8, 0x7fffffff)  # the 500th record's captured length
open(sys.argv[2], 'wb').write(b)
PY
check_refused "a corrupt capture" "exceeds" --split "$work/corrupt.pcap" --timeline "$work/$dev.txt"

finish
