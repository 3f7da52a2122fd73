#!/usr/bin/env bash
# The outputs as a lab uses them (issue 17), on real databases: report files follow the umask.
source "$(dirname "$0")/lib.sh"
need_corpus
sample=$CIOT_SOURCE_DIR/datasets/sample
db=$work/sample.db
"$CIOT_ANALYZE" -q -o "$db" "$sample" 2>/dev/null || fail "ciot-analyze on the sample"

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
finish
