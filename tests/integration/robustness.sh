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

# ---- ciot-analyze: the database path ------------------------------------------------------------
expect_refused "ciot-analyze -o \"\"" '^ciot-analyze: -o "": an empty path' "$CIOT_ANALYZE" -q -o "" "$sample"
expect_refused "ciot-analyze -o :memory:" '^ciot-analyze: -o :memory: would keep the results in memory' \
  "$CIOT_ANALYZE" -q -o :memory: "$sample"

# ---- hostile manifests -------------------------------------------------------------------------
mkdir -p ds/cam
cp "$CIOT_CORPUS/ndpi/tls_malicious_sha1.pcapng" ds/cam/a.pcapng
device='{"id": "cam", "brand": "badssl", "category": "camera", "ip": ["192.168.2.222"]}'
manifest() { # file, category, then the captures' JSON objects
  local file=$1 category=$2; shift 2
  local IFS=,
  printf '{"ciot_manifest": 1, "name": "hostile", "home_country": "DE", "devices": [%s], "captures": [%s]}\n' \
    "${device/camera/$category}" "$*" >"$file"
}
manifest ds/twice.json camera '{"file": "cam/a.pcapng", "device": "cam", "phase": "setup"}' \
  '{"file": "./cam/a.pcapng", "device": "cam", "phase": "idle"}'
expect_refused "a file listed twice" 'captures\[1\]: "file" .*/a.pcapng is listed twice for device cam (also as captures\[0\])' \
  "$CIOT_ANALYZE" -q -o twice.db ds/twice.json
manifest ds/toaster.json toaster '{"file": "cam/a.pcapng", "device": "cam", "phase": "setup"}'
expect_refused "an unknown category" '"category" "toaster" is none of camera, doorbell, speaker, plug, light, hub, sensor, humidifier, other' \
  "$CIOT_ANALYZE" -q -o toaster.db ds/toaster.json
expect_refused "--category toaster" '^x.pcap: --category "toaster" is none of camera' \
  "$CIOT_ANALYZE" -q -o toaster.db --category toaster x.pcap

# a capture outside the manifest's folder is read, with a warning naming it
manifest ds/outside.json camera '{"file": "cam/a.pcapng", "device": "cam", "phase": "setup"}' \
  '{"file": "'"$CIOT_CORPUS"'/ndpi/ssl-cert-name-mismatch.pcap", "device": "cam", "phase": "idle"}' \
  '{"file": "/etc/passwd", "device": "cam", "phase": "deletion"}'
"$CIOT_ANALYZE" -q -o outside.db ds/outside.json 2>err.txt || true
expect_eq "warnings for files outside the manifest's folder" "$(grep -c 'warning: captures\[[12]\]: .* is outside the manifest'"'"'s folder' err.txt)" "2"
expect_eq "no warning for the file inside" "$(grep -c 'captures\[0\].*outside' err.txt || true)" "0"

# a symlink loop in a lifecycle folder: each file counted once
mkdir -p loop/loopy_cam
cp "$CIOT_CORPUS/ndpi/tls_malicious_sha1.pcapng" loop/loopy_cam/loopy_cam_idle.pcap
ln -s . loop/loopy_cam/again
ln -s .. loop/loopy_cam/up
"$CIOT_ANALYZE" -q --all-flows -o loop.db loop 2>/dev/null || fail "ciot-analyze over a symlink loop"
expect_eq "a symlink loop: captures" "$(q loop.db 'SELECT count(*) FROM captures')" "1"

# ---- messages that mislead ---------------------------------------------------------------------
# a compressed capture is read (gzip, xz, zstd: inputs-lab.sh) or named as such (bzip2)
gzip -c ds/cam/a.pcapng >a.pcapng.gz
xz -c ds/cam/a.pcapng >a.pcapng.xz
zstd -q -c ds/cam/a.pcapng >a.pcapng.zst
"$CIOT_ANALYZE" -q --all-flows -o zplain.db ds/cam/a.pcapng 2>/dev/null || fail "plain a.pcapng: exit $?"
for f in a.pcapng.gz a.pcapng.xz a.pcapng.zst; do
  rm -f z.db
  "$CIOT_ANALYZE" -q --all-flows -o z.db "$f" 2>/dev/null || fail "$f: exit $?"
  expect_eq "$f read" "$(q z.db 'SELECT frames || " " || flows FROM captures')" "$(q zplain.db 'SELECT frames || " " || flows FROM captures')"
done
bzip2 -c ds/cam/a.pcapng >a.pcapng.bz2
expect_refused "a bzip2 file" '^a.pcapng.bz2: compressed with bzip2: decompress it first' "$CIOT_ANALYZE" -q -o z.db a.pcapng.bz2

# a locked database is said to be locked, by ciot-report and by ciot-analyze
cp "$db" locked.db
python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute("BEGIN EXCLUSIVE"); c.execute("SELECT 1 FROM meta")
open(sys.argv[2], "w").close(); time.sleep(15)' locked.db locked.flag &
holder=$!
for i in $(seq 1 200); do [ -e locked.flag ] && break; sleep 0.05; done
expect_refused "ciot-report on a locked database" '^locked.db: the database is locked by another process' \
  env CIOT_BUSY_TIMEOUT=0.5 "$CIOT_REPORT" locked.db summary
expect_refused "ciot-analyze on a locked database" '^locked.db: the database is locked by another process' \
  env CIOT_BUSY_TIMEOUT=0.5 "$CIOT_ANALYZE" -q -o locked.db "$sample"
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true

# a database written from another dataset: a warning, and the captures added
cp "$db" merged.db
"$CIOT_ANALYZE" -o merged.db ds/outside.json 2>err.txt || true
expect_eq "another dataset's database: a warning" \
  "$(grep -c 'warning: the database holds captures of the dataset "ciot sample"; this run adds those of "hostile"' err.txt)" "1"
"$CIOT_ANALYZE" -q -o "$db" "$sample" 2>err.txt || true
expect_eq "the same dataset again: no such warning" "$(grep -c 'holds captures of the dataset' err.txt || true)" "0"

finish
