#!/usr/bin/env bash
# The outputs as a lab uses them (issue 17), on real databases: every column every export writes
# is documented in docs/exports.md and NULL and the empty text are written the one documented way
# (export-check.py); certificate-interception captures change no lifecycle export; report files
# follow the umask; ciot-analyze writes a progress line at a steady interval into a log.
source "$(dirname "$0")/lib.sh"
need_corpus
sample=$CIOT_SOURCE_DIR/datasets/sample
db=$work/sample.db
"$CIOT_ANALYZE" -q -o "$db" "$sample" 2>/dev/null || fail "ciot-analyze on the sample"

# a device with a lifecycle capture and a certificate-interception capture in one database (both),
# and the lifecycle capture alone (lifecycle)
manifest() { # name, then the captures' JSON objects
  local name=$1; shift
  local IFS=,
  printf '{"ciot_manifest": 1, "name": "%s", "home_country": "DE", "devices": [{"id": "speaker", "brand": "badssl",
 "category": "speaker", "ip": ["192.168.2.222", "2001:b07:a3d:c112:9726:f643:a838:b0c4"]}], "captures": [%s]}\n' \
    "$name" "$*" >"$work/$name.json"
}
lifecycle_capture='{"file": "'$CIOT_CORPUS'/ndpi/tls_malicious_sha1.pcapng", "device": "speaker", "phase": "interaction"}'
interception_capture='{"file": "'$CIOT_CORPUS'/ndpi/ssl-cert-name-mismatch.pcap", "device": "speaker", "phase": "interaction", "interception": "wrong_hostname"}'
manifest both "$lifecycle_capture" "$interception_capture"
manifest lifecycle "$lifecycle_capture"
for m in both lifecycle; do
  "$CIOT_ANALYZE" -q -o "$work/$m.db" "$work/$m.json" 2>/dev/null || fail "ciot-analyze $m.json"
done
expect_eq "interception connections in both.db" \
  "$(q "$work/both.db" "SELECT count(*) FROM tls_view WHERE interception = 'wrong_hostname'")" "1"

# every export on the sample's and the TLS databases: columns as documented, NULL and "" apart
CIOT_REPORT=$CIOT_REPORT python3 "$(dirname "$0")/export-check.py" "$CIOT_SOURCE_DIR/docs/exports.md" "$db" \
  "$work/both.db" >"$work/check.txt" && pass "export-check: $(grep -c '^ok' "$work/check.txt") exports checked" ||
  { fail "export-check"; grep -v '^ok' "$work/check.txt" >&2; }

# the lifecycle exports are the same with the interception capture as without it; the per-row
# exports are the lifecycle's plus rows tagged with the interception test
help=$("$CIOT_REPORT" --help)
lifecycle_exports=$(sed -n 's/^  left out of: //p' <<<"$help")
tagged_exports=$(sed -n 's/^  tagged in an interception column of: //p' <<<"$help")
[ -n "$lifecycle_exports" ] && [ -n "$tagged_exports" ] || fail "ciot-report --help names no lifecycle or tagged exports"
for t in $lifecycle_exports; do
  expect_eq "$t: the same without the interception capture" \
    "$("$CIOT_REPORT" "$work/both.db" "$t" | md5sum)" "$("$CIOT_REPORT" "$work/lifecycle.db" "$t" | md5sum)"
done
for t in $tagged_exports; do
  "$CIOT_REPORT" "$work/both.db" "$t" --format json >"$work/$t-both.json"
  "$CIOT_REPORT" "$work/lifecycle.db" "$t" --format json >"$work/$t-lifecycle.json"
  expect_eq "$t: the lifecycle rows (interception null) are the lifecycle database's" \
    "$(python3 -c 'import json, sys; print(json.dumps([r for r in json.load(open(sys.argv[1])) if r["interception"] is None]))' "$work/$t-both.json")" \
    "$(python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$work/$t-lifecycle.json")"
done
expect_eq "tls: the interception connection tagged" \
  "$("$CIOT_REPORT" "$work/both.db" tls | grep -c ',wrong_hostname$')" "1"
expect_eq "certificates: the interception capture's leaf counted apart" \
  "$("$CIOT_REPORT" "$work/both.db" certificates --format json | python3 -c 'import json, sys; print(sorted((r["connections"], r["interception_connections"]) for r in json.load(sys.stdin) if "badssl" in (r["subject"] or "")))')" \
  "[(0, 1)]"

# -o writes a temporary file and renames it: the report gets 0666 less the umask, as a file the
# shell's > makes would, not mkstemp's 0600
for mask in 022 077 002; do
  rm -f "$work/flows-$mask.csv"
  (umask "$mask" && "$CIOT_REPORT" "$db" flows -o "$work/flows-$mask.csv") || fail "ciot-report -o under umask $mask"
  expect_eq "report mode under umask $mask" "$(stat -c %a "$work/flows-$mask.csv")" "$(printf '%o' $((0666 & ~0$mask)))"
done
# replacing a report takes the umask of the run that replaces it
(umask 022 && "$CIOT_REPORT" "$db" summary -o "$work/summary.csv" && umask 027 && "$CIOT_REPORT" "$db" summary -o "$work/summary.csv")
expect_eq "replaced report mode under umask 027" "$(stat -c %a "$work/summary.csv")" "640"
expect_eq "no temporary file left" "$(ls "$work" | grep -c '\.tmp\.' || true)" "0"

# progress on a log: stderr a file, so no line redrawn in place but a line every
# --progress-interval seconds. The capture comes through a FIFO that stalls 1.5 s after the
# header, so that the run lasts long enough whatever the machine's speed.
fifo=$work/stall.pcap
mkfifo "$fifo"
capture=$CIOT_CORPUS/ndpi/netflix.pcap
stalled() { { head -c 24 "$capture"; sleep 1.5; tail -c +25 "$capture"; } >"$fifo"; }
stalled &
"$CIOT_ANALYZE" --all-flows --progress-interval 0.25 -o "$work/p.db" "$fifo" 2>"$work/progress.log" ||
  fail "ciot-analyze --progress-interval"
wait
lines=$(grep -c '^ciot-analyze: progress: files [0-9]*/1, [0-9]* packets, [0-9.]* MB.*, [0-9.]* MB/s, [0-9.]* s$' "$work/progress.log" || true)
[ "$lines" -ge 4 ] && pass "progress lines on a log every 0.25 s over a 1.5 s stall: $lines" ||
  { fail "progress lines on a log: $lines, expected at least 4"; cat "$work/progress.log" >&2; }
expect_eq "no carriage return on a log" "$(grep -c $'\r' "$work/progress.log" || true)" "0"
# the schedule is steady: line k is written at about k intervals, not later and later
# (times are printed to a tenth; a busy machine may delay a line, not the ones after it)
late=$(grep 'progress:' "$work/progress.log" | grep -o '[0-9.]* s$' | awk '{ k++; if ($1 < 0.25 * k - 0.06 || $1 > 0.25 * k + 1) bad++ } END { print bad + 0 }')
expect_eq "progress lines on schedule" "$late" "0"
[ "$late" = 0 ] || cat "$work/progress.log" >&2
stalled &
"$CIOT_ANALYZE" --all-flows -q --progress-interval 0.25 -o "$work/p.db" "$fifo" 2>"$work/quiet.log" || fail "ciot-analyze -q"
wait
expect_eq "no progress line with --quiet" "$(grep -c 'progress:' "$work/quiet.log" || true)" "0"
# the default is at most 10 s: a 1.5 s run writes none
stalled &
"$CIOT_ANALYZE" --all-flows -o "$work/p.db" "$fifo" 2>"$work/default.log" || fail "ciot-analyze"
wait
expect_eq "no progress line in 1.5 s at the default interval" "$(grep -c 'progress:' "$work/default.log" || true)" "0"
grep -q -- '--progress-interval SECONDS' <("$CIOT_ANALYZE" --help) && pass "--progress-interval in --help" ||
  fail "--progress-interval not in --help"
status=0
"$CIOT_ANALYZE" --progress-interval 0 -o "$work/p.db" "$capture" 2>/dev/null || status=$?
expect_eq "--progress-interval 0 refused" "$status" "2"
finish
