#!/usr/bin/env bash
# Hostile and unusual inputs: truncated, corrupt and missing files give "file: reason" and a
# non-zero exit while the database stays consistent; a truncated capture keeps its packets; an
# interrupted run leaves only whole captures; the public lifecycle dataset's layout (step files,
# an unsplit capture with its local-time timetable, a device,IP table) is read as documented.
source "$(dirname "$0")/lib.sh"
need_corpus
sample=$CIOT_SOURCE_DIR/datasets/sample
nest=$sample/nest_sensor/nest_sensor_setup.pcap
db=$work/in.db

# truncated: the file ends inside a record
size=$(stat -c %s "$nest")
head -c $((size - 10)) "$nest" >"$work/truncated.pcap"
"$CIOT_ANALYZE" -q -o "$db" --ip 192.168.242.15 "$work/truncated.pcap" 2>"$work/err" || fail "truncated file: exit $?"
grep -q "truncated.pcap: warning: the file ends inside a packet record" "$work/err" && pass "truncation warned" ||
  fail "no truncation warning: $(cat "$work/err")"
all=$(capinfos -M -c -T "$nest" | tail -1 | cut -f2)
expect_eq "packets of the truncated file" "$(q "$db" "SELECT frames || '/' || file_truncated FROM captures")" "$((all - 1))/1"

# corrupt, missing, empty: each named with its reason, nothing stored for it
head -c 4000 /dev/urandom >"$work/garbage.pcap"
printf '\xd4\xc3\xb2\xa1' >"$work/short.pcap"
: >"$work/empty.pcap"
status=0
"$CIOT_ANALYZE" -q -o "$db" --ip 10.0.0.1 "$work/garbage.pcap" "$work/short.pcap" "$work/empty.pcap" \
  "$work/missing.pcap" 2>"$work/err" || status=$?
expect_eq "exit status for bad files" "$status" 1
for pat in "garbage.pcap: not a pcap or pcapng file" "short.pcap: too short to be a capture file" \
  "empty.pcap: too short to be a capture file" "missing.pcap: No such file or directory"; do
  grep -q "$pat" "$work/err" && pass "reported: $pat" || fail "not reported: $pat ($(cat "$work/err"))"
done
expect_eq "captures in the database after bad files" "$(q "$db" 'SELECT count(*) FROM captures')" 1

# a directory without a manifest, a file in the lifecycle layout or any capture: refused before any
# analysis (a directory of bare captures is read: inputs-lab.sh)
mkdir "$work/notadataset"
status=0
"$CIOT_ANALYZE" -q -o "$db" "$nest" "$work/notadataset" 2>"$work/err" || status=$?
expect_eq "exit status for a directory without captures" "$status" 2
grep -q "notadataset: no capture files found in this directory (neither <device>/<device>_<step>.pcap files nor" "$work/err" && pass "empty directory named" ||
  fail "empty directory message: $(cat "$work/err")"

# a corrupt record in the middle: refused as a whole, the earlier good capture untouched
cp "$nest" "$work/midcorrupt.pcap"
printf '\xff\xff\xff\x7f' | dd of="$work/midcorrupt.pcap" bs=1 seek=$((24 + 8)) conv=notrunc 2>/dev/null
"$CIOT_ANALYZE" -q -o "$db" --ip 192.168.242.15 "$work/midcorrupt.pcap" 2>"$work/err" && fail "corrupt record accepted"
grep -q "midcorrupt.pcap: record at offset 24: captured length" "$work/err" && pass "corrupt record named" ||
  fail "corrupt record message: $(cat "$work/err")"
expect_eq "captures after a corrupt file" "$(q "$db" 'SELECT count(*) FROM captures')" 1

# automatic identification: the one private host in every unicast flow (by its MAC, with every
# address it used: the Echo's IPv4 and IPv6 link-local ones), said on stderr and stored; a capture
# of several hosts is refused with the reason
"$CIOT_ANALYZE" -o "$work/auto.db" "$CIOT_CORPUS/ndpi/alexa-app.pcapng" 2>"$work/err" || fail "auto: exit $?"
grep -q "alexa-app.pcapng: note: device addresses 172.16.42.216, fe80::7af8:82ff:fed3:fbc2 picked automatically (its MAC 78:f8:82:d3:fb:c2 is the one private host in every flow)" "$work/err" &&
  pass "automatic device address said" || fail "automatic device message: $(cat "$work/err")"
expect_eq "automatic method, addresses and MAC" \
  "$(q "$work/auto.db" 'SELECT device_method || " " || device_addresses || " " || device_mac FROM captures')" \
  'auto ["172.16.42.216","fe80::7af8:82ff:fed3:fbc2"] 78:f8:82:d3:fb:c2'
status=0
"$CIOT_ANALYZE" -q -o "$work/auto.db" "$CIOT_CORPUS/ndpi/xiaomi.pcap" 2>"$work/err" || status=$?
expect_eq "several hosts, no device given: exit" "$status" 1
grep -q "xiaomi.pcap: no private host appears in every flow" "$work/err" && pass "several hosts refused" ||
  fail "several hosts message: $(cat "$work/err")"
# under -q the refusal is still one whole line of its own (the database's attribution warnings,
# about the devices already stored, may follow it on lines of their own)
expect_eq "refusal under -q: one line names it" "$(grep -c 'xiaomi.pcap' "$work/err")" 1
expect_eq "refusal under -q: its line is whole" "$(head -1 "$work/err" | grep -c '^[^ ]*xiaomi.pcap: no private host.*give the device.s MAC or IP$')" 1
expect_eq "refusal under -q: ends with a newline" "$(tail -c 1 "$work/err" | od -An -c | tr -d ' ')" '\n'

# usage errors exit 2, --help exits 0
status=0; "$CIOT_ANALYZE" -o "$db" --phase lunch "$nest" 2>/dev/null || status=$?
expect_eq "bad --phase exit" "$status" 2
status=0; "$CIOT_ANALYZE" "$nest" 2>/dev/null || status=$?
expect_eq "missing -o exit" "$status" 2
# (read whole before grep -q, which stops reading at the first match: a pipe would break under it)
"$CIOT_ANALYZE" --help >"$work/analyze-help.txt" && grep -q -- '--idle-timeout' "$work/analyze-help.txt" &&
  pass "ciot-analyze --help" || fail "ciot-analyze --help"
"$CIOT_REPORT" --help >"$work/report-help.txt" && grep -q 'summary' "$work/report-help.txt" &&
  pass "ciot-report --help" || fail "ciot-report --help"
# ciot-analyze's --help and its getopt table are made from the same option tables: every option
# listed is one it accepts, and none is listed twice
mapfile -t listed < <(grep -oE -- '^  (-[A-Za-z], |    )--[a-z-]+' "$work/analyze-help.txt" | grep -oE -- '--[a-z-]+')
unknown=()
for o in "${listed[@]}"; do
  "$CIOT_ANALYZE" "$o" >/dev/null 2>"$work/opt.err" || true
  grep -q 'unrecognized option' "$work/opt.err" && unknown+=("$o")
done
[ "${#listed[@]}" -ge 30 ] && [ ${#unknown[@]} -eq 0 ] && pass "the ${#listed[@]} options --help lists are accepted" ||
  fail "--help lists ${#listed[@]} options, not accepted: ${unknown[*]}"
expect_eq "options listed twice in --help" "$(printf '%s\n' "${listed[@]}" | sort | uniq -d | tr '\n' ' ')" ""

# SIGINT once the first captures are stored: exit 130, only whole captures remain
mapfile -t many < <(find "$CIOT_CORPUS/ndpi" -name '*.pcap' | LC_ALL=C sort | head -400)
"$CIOT_ANALYZE" -q --all-flows -o "$work/int.db" "${many[@]}" "${many[@]}" "${many[@]}" "${many[@]}" \
  "${many[@]}" 2>"$work/int.err" &
pid=$!
for _ in $(seq 1 300); do
  n=$(sqlite3 -batch "$work/int.db" 'SELECT count(*) FROM captures' 2>/dev/null || echo 0)
  [ "${n:-0}" -gt 0 ] && break
  sleep 0.1
done
kill -INT $pid
status=0; wait $pid || status=$?
expect_eq "exit status when interrupted" "$status" 130
grep -qE 'interrupted; [1-9][0-9]* capture files not stored' "$work/int.err" && pass "interruption reported" ||
  fail "interruption message: $(tail -2 "$work/int.err")"
expect_eq "integrity after interruption" "$(q "$work/int.db" 'PRAGMA integrity_check')" ok
expect_eq "captures whose flows are incomplete" \
  "$(q "$work/int.db" 'SELECT count(*) FROM captures c WHERE c.flows != (SELECT count(*) FROM flows f WHERE f.capture_id = c.id)')" 0

# the public lifecycle dataset's layout
lc=$work/lifecycle
mkdir -p "$lc/nest_sensor_lifecycle" "$lc/raw/sonos_speaker"
for phase in setup interaction idle deletion; do
  cp "$sample/nest_sensor/nest_sensor_$phase.pcap" "$lc/nest_sensor_lifecycle/"
done
cp "$sample/nest_sensor/nest_sensor_idle.pcap" "$lc/nest_sensor_lifecycle/nest_sensor_idle_remote.pcap"
mergecap -F pcap -w "$lc/raw/sonos_speaker/sonos_speaker.pcap" "$sample"/sonos_speaker/*.pcap
# a timetable in local time (UTC+8): an empty one-second step before the capture, then the rest
t0=$(capinfos -a -T -r -S "$lc/raw/sonos_speaker/sonos_speaker.pcap" | tail -1 | cut -f2 | cut -d. -f1)
local_time() { date -u -d "@$(($1 + 8 * 3600))" +%Y-%m-%d_%H:%M:%S; }
printf 'setup %s %s 1\nwatch_remote %s %s 60\n' "$(local_time $((t0 - 1)))" "$(local_time $((t0 - 1)))" \
  "$(local_time "$t0")" "$(local_time $((t0 + 60)))" >"$lc/raw/sonos_speaker/sonos_speaker.txt"
printf 'device,IP\nnest_sensor,192.168.242.15\nsonos_speaker,192.168.1.70\n' >"$lc/device-ip.csv"
"$CIOT_ANALYZE" -q -o "$work/lc.db" --ip-table "$lc/device-ip.csv" "$lc" 2>"$work/err" || fail "lifecycle layout: $(cat "$work/err")"
expect_eq "lifecycle steps" \
  "$(q "$work/lc.db" "SELECT group_concat(x, ' ') FROM (SELECT d.name || ':' || c.phase || ':' || c.subphase x FROM captures c JOIN devices d ON d.id = c.device_id ORDER BY x)")" \
  "nest_sensor:deletion:deletion nest_sensor:idle:idle nest_sensor:idle:idle_remote nest_sensor:interaction:interaction nest_sensor:setup:setup sonos_speaker:interaction:watch_remote sonos_speaker:setup:setup"
expect_eq "sonos packets by timetable step" \
  "$(q "$work/lc.db" "SELECT group_concat(c.subphase || '=' || c.frames, ' ') FROM (SELECT * FROM captures ORDER BY window_start_us) c JOIN devices d ON d.id = c.device_id WHERE d.name = 'sonos_speaker'")" \
  "setup=0 watch_remote=$(capinfos -M -c -T "$lc/raw/sonos_speaker/sonos_speaker.pcap" | tail -1 | cut -f2)"
expect_eq "devices identified by the IP table" "$(q "$work/lc.db" "SELECT group_concat(DISTINCT device_method) FROM captures")" "ip"
finish
