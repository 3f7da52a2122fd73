#!/usr/bin/env bash
# What a hostile user tries (issue 19, Robustness), each with the message that says what is wrong:
# ciot-report -o over its own database (however named), over special files (written in place) and
# symlinks (the target replaced, the link kept); write errors named against the output; hostile
# manifests (a file listed twice, an unknown category, paths outside the dataset, a symlink loop,
# a large manifest loaded in seconds); -o "" and :memory:; a locked database; compressed captures;
# a database written from another dataset.
source "$(dirname "$0")/lib.sh"
sample=$CIOT_SOURCE_DIR/datasets/sample
db=$work/sample.db
"$CIOT_ANALYZE" -q -o "$db" "$sample" 2>/dev/null || fail "ciot-analyze on the sample"
cd "$work"

# expect_refused NAME PATTERN COMMAND...: the command fails and says PATTERN on stderr
expect_refused() {
  local name=$1 pattern=$2 status=0; shift 2
  "$@" >"$work/out.txt" 2>"$work/err.txt" || status=$?
  if [ "$status" -eq 0 ]; then fail "$name: exit 0"; return; fi
  if grep -q -- "$pattern" "$work/err.txt"; then pass "$name: $(head -1 "$work/err.txt")"
  else fail "$name: stderr '$(head -3 "$work/err.txt")' lacks '$pattern'"; fi
}

# ---- ciot-report -o ----------------------------------------------------------------------------
cp "$db" copy.db
ln -s copy.db link.db
ln copy.db hard.db
before=$(md5sum <copy.db)
expect_refused "-o the input database" "copy.db: is the input database" "$CIOT_REPORT" copy.db summary -o copy.db
expect_refused "-o a symlink to the input database" "link.db: is the input database" \
  "$CIOT_REPORT" copy.db summary -o link.db
expect_refused "-o a hard link of the input database" "hard.db: is the input database" \
  "$CIOT_REPORT" link.db summary -o hard.db
expect_eq "the input database untouched" "$(md5sum <copy.db)" "$before"
expect_eq "its symlink still a symlink" "$(stat -c %F link.db)" "symbolic link"
"$CIOT_REPORT" copy.db summary >expected.csv

# special files are written in place: the node stays what it was
"$CIOT_REPORT" copy.db summary -o /dev/null || fail "-o /dev/null"
expect_eq "/dev/null still a character device" "$(stat -c %F /dev/null)" "character special file"
mkfifo fifo
cat fifo >fifo.out &
reader=$!
"$CIOT_REPORT" copy.db summary -o fifo || fail "-o FIFO"
wait "$reader"
expect_eq "-o FIFO: the reader got the report" "$(md5sum <fifo.out)" "$(md5sum <expected.csv)"
expect_eq "the FIFO still a FIFO" "$(stat -c %F fifo)" "fifo"
"$CIOT_REPORT" copy.db summary -o /dev/stdout >stdout.csv || fail "-o /dev/stdout"
expect_eq "-o /dev/stdout: the report on standard output" "$(md5sum <stdout.csv)" "$(md5sum <expected.csv)"
ln -s /dev/stdout to-stdout
"$CIOT_REPORT" copy.db summary -o to-stdout | cat >piped.csv || fail "-o a symlink to /dev/stdout, a pipe"
expect_eq "-o a symlink to /dev/stdout: through the pipe" "$(md5sum <piped.csv)" "$(md5sum <expected.csv)"
expect_eq "the symlink to /dev/stdout kept" "$(readlink to-stdout)" "/dev/stdout"

# a regular file is replaced; a symlink to one replaces its target and stays a symlink
echo old >target.csv
ln -s target.csv report-link.csv
"$CIOT_REPORT" copy.db summary -o report-link.csv || fail "-o a symlink to a regular file"
expect_eq "the symlink kept" "$(stat -c %F report-link.csv)" "symbolic link"
expect_eq "its target replaced" "$(md5sum <target.csv)" "$(md5sum <expected.csv)"
expect_eq "no temporary file left" "$(ls | grep -c '\.tmp\.' || true)" "0"

# errors: against the output, never the database
expect_refused "-o a directory" "^$work: is a directory" "$CIOT_REPORT" copy.db summary -o "$work"
expect_refused "-o \"\"" 'an empty path' "$CIOT_REPORT" copy.db summary -o ""
expect_refused "-o /dev/full" "^/dev/full: No space left on device" "$CIOT_REPORT" copy.db flows -o /dev/full
expect_refused "standard output /dev/full" "^standard output: No space left on device" \
  sh -c '"$0" copy.db flows >/dev/full' "$CIOT_REPORT"
expect_refused "-o in a missing folder" "^nowhere/x.csv: No such file or directory" \
  "$CIOT_REPORT" copy.db summary -o nowhere/x.csv

finish
