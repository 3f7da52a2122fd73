#!/usr/bin/env bash
# The bundled sample dataset end to end: the manifest loads, every capture is stored with its
# device, phase and flows, re-analysis replaces rows instead of adding them, and the exports agree
# with the database in every format. Expected numbers come from tshark, measured in this run.
source "$(dirname "$0")/lib.sh"
sample=$CIOT_SOURCE_DIR/datasets/sample
db=$work/sample.db
"$CIOT_ANALYZE" -q -o "$db" "$sample" 2>"$work/stderr" || { cat "$work/stderr" >&2; fail "ciot-analyze on the sample"; }
# the manifest names the camera's lab's country (CN) and every capture's packet count: no warning
expect_eq "stderr" "$(cat "$work/stderr")" ""
expect_eq "home country recorded" "$(q "$db" "SELECT value FROM meta WHERE key = 'home_country'")" "CN"
ncaptures=$(grep -c '"file"' "$sample/manifest.json")
expect_eq "captures stored" "$(q "$db" 'SELECT count(*) FROM captures')" "$ncaptures"
expect_eq "devices" "$(q "$db" 'SELECT group_concat(name || ":" || category, " ") FROM (SELECT * FROM devices ORDER BY name)')" \
  "nest_sensor:sensor sonos_speaker:speaker tuya_light:light xiaobai_camera:camera"
expect_eq "phases per device" \
  "$(q "$db" "SELECT group_concat(n, ' ') FROM (SELECT count(DISTINCT c.phase) n FROM captures c GROUP BY c.device_id)")" "4 4 4 4"
expect_eq "identification methods" \
  "$(q "$db" "SELECT group_concat(m, ' ') FROM (SELECT DISTINCT d.name || ':' || c.device_method m FROM captures c JOIN devices d ON d.id = c.device_id ORDER BY m)")" \
  "nest_sensor:ip sonos_speaker:mac tuya_light:mac xiaobai_camera:mac"
# the camera's seven steps as the lifecycle dataset names them, under the dataset scripts' phases
expect_eq "camera steps" \
  "$(q "$db" "SELECT group_concat(c.subphase || ':' || c.phase || ':' || coalesce(c.firmware, '-'), ' ') FROM (SELECT c.* FROM captures c JOIN devices d ON d.id = c.device_id WHERE d.name = 'xiaobai_camera' ORDER BY c.step_start_us) c")" \
  "setup:setup:- idle_local:idle:- idle_remote:idle:- speak_local:interaction:- speak_remote:interaction:- update:interaction:- delete:deletion:-"
# per capture file: frames equal capinfos' count, the device's flows' address and port pairs equal
# tshark's conversations (tshark has no idle timeout: the camera's DHCP renewals, 240 s apart, are
# one conversation to it and two flows to ciot, whose UDP flows end after 180 s idle)
while IFS='|' read -r file frames flows ip; do
  theirs=$(capinfos -M -c -T "$file" 2>/dev/null | tail -1 | cut -f2)
  expect_eq "$(basename "$file") packets (capinfos)" "$frames" "$theirs"
  conv=0
  for transport in tcp udp; do
    n=$(tshark -r "$file" -q -z "conv,$transport,ip.addr==$ip" 2>/dev/null | grep -c '<->' || true)
    conv=$((conv + n))
  done
  ours=$(q "$db" "SELECT count(DISTINCT f.transport || f.device_ip || ' ' || f.device_port || f.remote_ip || ' ' || f.remote_port) FROM flows f JOIN captures c ON c.id = f.capture_id WHERE c.file = '$file' AND f.transport IN ('tcp','udp')")
  expect_eq "$(basename "$file") tcp+udp conversations (tshark)" "$ours" "$conv"
done < <(q "$db" "SELECT file, frames, flows, json_extract(device_addresses, '\$[0]') FROM captures ORDER BY file")

# re-analysis replaces: same counts, no duplicates
before=$(q "$db" 'SELECT count(*) || "/" || (SELECT count(*) FROM flows) FROM captures')
"$CIOT_ANALYZE" -q -o "$db" "$sample/manifest.json"
expect_eq "rows after re-analysis" "$(q "$db" 'SELECT count(*) || "/" || (SELECT count(*) FROM flows) FROM captures')" "$before"

# exports: same rows in every format, header and keys as documented
"$CIOT_REPORT" "$db" flows -o "$work/flows.csv"
"$CIOT_REPORT" "$db" flows --format json -o "$work/flows.json"
"$CIOT_REPORT" "$db" flows --format md -o "$work/flows.md"
nflows=$(q "$db" 'SELECT count(*) FROM flows')
expect_eq "flows.csv header" "$(head -1 "$work/flows.csv")" \
  "device,category,phase,subphase,transport,app_proto,device_ip,device_port,remote_ip,remote_port,first_ts,last_ts,packets_out,bytes_out,packets_in,bytes_in,interception"
expect_eq "flows.csv rows" "$(($(wc -l <"$work/flows.csv") - 1))" "$nflows"
expect_eq "flows.md rows" "$(($(wc -l <"$work/flows.md") - 2))" "$nflows"
expect_eq "flows.json valid, rows" "$(sqlite3 :memory: "SELECT json_valid(readfile('$work/flows.json')), json_array_length(readfile('$work/flows.json'))")" "1|$nflows"
expect_eq "flows.json bytes_out total" \
  "$(sqlite3 :memory: "SELECT sum(json_extract(value, '\$.bytes_out')) FROM json_each(readfile('$work/flows.json'))")" \
  "$(q "$db" 'SELECT sum(bytes_out) FROM flows')"
expect_eq "flows.json first_ts exact to the microsecond" \
  "$(sqlite3 :memory: "SELECT printf('%.6f', min(json_extract(value, '\$.first_ts'))) FROM json_each(readfile('$work/flows.json'))")" \
  "$(q "$db" "SELECT printf('%d.%06d', min(first_us) / 1000000, min(first_us) % 1000000) FROM flows")"
"$CIOT_REPORT" "$db" summary -o "$work/summary.csv"
expect_eq "summary overall row" "$(sed -n 2p "$work/summary.csv")" \
  "$(q "$db" "SELECT printf('all,,4,4,4,%d,%.3f,%d,%d,%d,\"setup,interaction,idle,deletion\",%s,%s', count(*), sum(CASE WHEN step_start_us IS NOT NULL AND step_end_us IS NOT NULL THEN step_end_us - step_start_us ELSE last_us - first_us END) / 3600e6, sum(frames), sum(frame_bytes), sum(flows), date(min(first_us) / 1000000, 'unixepoch'), date(max(last_us) / 1000000, 'unixepoch')) FROM captures")"
# (hours: the camera's steps last from the manifest's start to its end, the nDPI slices from their
# first frame to their last)
expect_eq "summary rows (header, all, one per category)" "$(wc -l <"$work/summary.csv")" \
  "$((2 + $(q "$db" 'SELECT count(DISTINCT category) FROM devices')))"
# errors: an unknown table, a missing database
"$CIOT_REPORT" "$db" nosuchtable >/dev/null 2>"$work/err" && fail "unknown table accepted"
grep -q 'no export named "nosuchtable"' "$work/err" && pass "unknown table refused" || fail "unknown table message"
"$CIOT_REPORT" "$work/missing.db" flows >/dev/null 2>"$work/err" && fail "missing database accepted"
grep -q "missing.db: No such file" "$work/err" && pass "missing database refused" || fail "missing database message"
finish
