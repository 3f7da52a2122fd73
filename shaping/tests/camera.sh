#!/usr/bin/env bash
# camera.sh: ciot-shape on the lifecycle paper's camera (../shared/data/nku-camera: its speak and
# idle captures and its timetable), end to end: activity is plain to every attacker on the traffic
# as captured; shaped with constant parameters every attacker scores 0.5, inside its interval;
# shaped with random parameters the AUC averaged over seeds stays near 0.5; record size cannot tell
# cover from data with ciot's records and can with the original library's header, whose leak lets
# the size attacker find the activity again; the overhead matches its analytic expectation; the
# results go into a ciot database and come out of ciot-report's shaping exports; bad input gives
# `file: reason` and a non-zero exit.
source "$(dirname "$0")/../../tests/integration/lib.sh"
: "${CIOT_SHAPE:?}" "${CIOT_DATA:?}"
cam=$CIOT_DATA/nku-camera
[ -f "$cam/xiaobai_Y2camera.txt" ] || { echo "FAIL: the camera's data is not at $cam" >&2; exit 1; }
captures=("$cam/xiaobai_Y2camera_speak_local.pcap" "$cam/xiaobai_Y2camera_speak_remote.pcap"
          "$cam/xiaobai_Y2camera_idle_local.pcap" "$cam/xiaobai_Y2camera_idle_remote.pcap")
labels=(--timetable "$cam/xiaobai_Y2camera.txt" --tz +8)
score() { "$CIOT_SHAPE" score --format csv --device 192.168.1.165 "${labels[@]}" "$@" "${captures[@]}"; }
# a field of the scores' CSV: trace window attacker column (auc=7 auc_low=8 auc_high=9)
field() { awk -F, -v t="$2" -v w="$3" -v a="$4" -v c="$5" '$1 == t && $2 == w && $3 == a { print $c }' "$1"; }
within() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }
check_range() { # name value low high
  if within "$2" "$3" "$4"; then pass "$1 = $2 (in [$3, $4])"; else fail "$1 = $2, not in [$3, $4]"; fi
}

# constant parameters: every window looks the same
score --interval constant:0.05 --size constant:120 --windows 2,5 >"$work/constant.csv" 2>"$work/err" ||
  { cat "$work/err" >&2; fail "score, constant parameters"; }
for w in 2 5; do
  best=0
  for a in rate size timing classifier; do
    auc=$(field "$work/constant.csv" unshaped $w $a 7)
    within "$auc" "$best" 1 && best=$auc
    check_range "shaped $w s $a AUC (constant; windows differ only by a record at their edges)" "$(field "$work/constant.csv" shaped $w $a 7)" 0.49 0.51
    low=$(field "$work/constant.csv" shaped $w $a 8) high=$(field "$work/constant.csv" shaped $w $a 9)
    within 0.5 "$low" "$high" && pass "shaped $w s $a: 0.5 in [$low, $high]" || fail "shaped $w s $a: 0.5 not in [$low, $high]"
  done
  check_range "unshaped $w s best attacker's AUC" "$best" 0.99 1
done
sep=$(awk -F, '/^cover_vs_data/ { getline; print $1 }' "$work/constant.csv")
check_range "record size, data against cover (ciot's records)" "$sep" 0.5 0.5
overhead=$(awk -F, '/^observed_s/ { getline; print $4 / $5 }' "$work/constant.csv")
check_range "overhead over its expectation (constant)" "$overhead" 0.95 1.05

# the original library's header: sizes give the activity away
score --interval constant:0.05 --size constant:120 --windows 2 --legacy-header >"$work/legacy.csv" 2>"$work/err" ||
  { cat "$work/err" >&2; fail "score, legacy header"; }
check_range "shaped 2 s size attacker's AUC (legacy header)" "$(field "$work/legacy.csv" shaped 2 size 7)" 0.9 1
sep=$(awk -F, '/^cover_vs_data/ { getline; print $1 }' "$work/legacy.csv")
within "$sep" 0.45 0.55 && fail "legacy header: record size does not separate data from cover ($sep)" ||
  pass "legacy header: record size separates data from cover (AUC $sep)"

# random parameters (the sleep monitor's), averaged over seeds, stored and exported
db=$work/camera.db
"$CIOT_ANALYZE" -q -o "$db" --device camera --category camera --phase idle "$cam/xiaobai_Y2camera_delete.pcap" \
  2>"$work/err" || { cat "$work/err" >&2; fail "ciot-analyze"; }
score --seeds 5 --windows 2 --store "$db" >"$work/random.csv" 2>"$work/err" ||
  { cat "$work/err" >&2; fail "score, random parameters"; }
for a in rate size timing classifier; do
  check_range "shaped 2 s $a AUC, mean of 5 seeds" "$(field "$work/random.csv" shaped 2 $a 7)" 0.4 0.6
done
overhead=$(awk -F, '/^observed_s/ { getline; print $4 / $5 }' "$work/random.csv")
check_range "overhead over its expectation (uniform)" "$overhead" 0.95 1.05
"$CIOT_REPORT" "$db" shaping -f json >"$work/shaping.json" 2>"$work/err" || { cat "$work/err" >&2; fail "ciot-report shaping"; }
expect_eq "shaping export rows (2 traces x 4 attackers)" "$(jq length "$work/shaping.json")" 8
expect_eq "seeds of the shaped rows" "$(jq -r '.[] | select(.trace == "shaped") | .seeds' "$work/shaping.json" | sort -u)" 5
expect_eq "stored AUC of the shaped rate attacker = printed" \
  "$(jq -r '.[] | select(.trace == "shaped" and .attacker == "rate") | .auc * 1000 | round' "$work/shaping.json")" \
  "$(awk -v x="$(field "$work/random.csv" shaped 2 rate 7)" 'BEGIN { printf "%.0f", x * 1000 }')"
"$CIOT_REPORT" "$db" shaping-cost -f csv >"$work/cost.csv" 2>"$work/err" || { cat "$work/err" >&2; fail "ciot-report shaping-cost"; }
expect_eq "shaping-cost rows (2 directions)" "$(($(wc -l <"$work/cost.csv") - 1))" 2

# the shaped pcap and every message's delay, from simulate
"$CIOT_SHAPE" simulate --device 192.168.1.165 --interval constant:0.05 --size constant:120 -o "$work/shaped.pcap" \
  --delays "$work/delays.csv" "$cam/xiaobai_Y2camera_speak_remote.pcap" >/dev/null 2>"$work/err" ||
  { cat "$work/err" >&2; fail "simulate"; }
messages=$(tshark -r "$cam/xiaobai_Y2camera_speak_remote.pcap" -Y 'ip.addr == 192.168.1.165 && (tcp.len > 0 || udp.length > 8 || icmp)' 2>/dev/null | wc -l)
expect_eq "messages in the delays file = packets with payload tshark counts (TCP, UDP, ICMP)" "$(($(wc -l <"$work/delays.csv") - 1))" "$messages"
expect_eq "shaped pcap: every frame 66 + 120 bytes (tshark)" \
  "$(tshark -r "$work/shaped.pcap" -T fields -e frame.len 2>/dev/null | sort -u)" 186

# errors: file: reason, non-zero exit, nothing stored
status=0
"$CIOT_SHAPE" score --device 192.168.1.165 --timetable "$work/none.txt" "${captures[@]}" >/dev/null 2>"$work/err" || status=$?
[ "$status" -ne 0 ] && grep -q "none.txt" "$work/err" && pass "missing timetable: $(head -1 "$work/err")" ||
  fail "missing timetable: status $status, $(cat "$work/err")"
head -c 100 "$cam/xiaobai_Y2camera_speak_local.pcap" >"$work/cut.pcap"
printf 'garbage' >"$work/bad.pcap"
status=0
"$CIOT_SHAPE" simulate --device 192.168.1.165 "$work/bad.pcap" >/dev/null 2>"$work/err" || status=$?
[ "$status" -ne 0 ] && grep -q "bad.pcap" "$work/err" && pass "not a capture: $(head -1 "$work/err")" ||
  fail "not a capture: status $status, $(cat "$work/err")"
rows=$(q "$db" "SELECT count(*) FROM shaping_runs")
"$CIOT_SHAPE" score --device 192.168.1.165 "${labels[@]}" --store "$db" --windows 2 "$work/cut.pcap" >/dev/null 2>&1 || true
expect_eq "a failed run stores nothing" "$(q "$db" "SELECT count(*) FROM shaping_runs")" "$rows"
finish
