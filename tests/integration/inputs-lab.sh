#!/usr/bin/env bash
# Inputs a real lab produces (issue 19): a directory of bare captures at any depth, told by content;
# captures compressed with gzip, xz or zstd read directly (cut and corrupt ones refused with the
# reason); pcapng files of several sections with different link types; nanosecond timestamps in
# pcap and pcapng; a capture past 4 GiB (a sparse file: 4 GiB of it never written). Every count is
# compared with capinfos or with what the test wrote.
source "$(dirname "$0")/lib.sh"
need_corpus
sample=$CIOT_SOURCE_DIR/datasets/sample
nest=$sample/nest_sensor
ip=192.168.242.15
frames_of() { capinfos -M -c -T "$1" | tail -1 | cut -f2; }

# ---- a directory of bare captures -----------------------------------------------------------------
lab=$work/lab
mkdir -p "$lab/day1" "$lab/day2/bench/a/b/c/d/e" "$lab/notes"
cp "$nest/nest_sensor_setup.pcap" "$lab/day1/nest_sensor.pcap"
gzip -c "$nest/nest_sensor_interaction.pcap" >"$lab/day2/nest_sensor.pcap.gz"
xz -c "$nest/nest_sensor_deletion.pcap" >"$lab/day2/bench/nest_sensor_deletion.pcap.xz"
cp "$nest/nest_sensor_idle.pcap" "$lab/day2/bench/a/b/c/d/e/idle-capture" # deep, no extension
for i in 1 2 3 4 5 6 7; do echo "note $i" >"$lab/notes/n$i.txt"; done
ln "$lab/day1/nest_sensor.pcap" "$lab/day2/hardlink.pcap"   # one file, two names
ln -s ../day1 "$lab/day2/link-to-day1"                      # one folder, two paths
ln -s .. "$lab/day2/bench/up"                               # a loop
status=0
"$CIOT_ANALYZE" -j 1 -o "$work/lab.db" --ip "$ip" "$lab" 2>"$work/err" || status=$?
expect_eq "directory of bare captures: exit" "$status" 0
expect_eq "directory: each capture once, in path order" \
  "$(q "$work/lab.db" "SELECT group_concat(substr(file, length('$lab') + 2) || '=' || frames, ' ') FROM (SELECT * FROM captures ORDER BY id)")" \
  "day1/nest_sensor.pcap=$(frames_of "$nest/nest_sensor_setup.pcap") day2/bench/a/b/c/d/e/idle-capture=$(frames_of "$nest/nest_sensor_idle.pcap") day2/bench/nest_sensor_deletion.pcap.xz=$(frames_of "$nest/nest_sensor_deletion.pcap") day2/nest_sensor.pcap.gz=$(frames_of "$nest/nest_sensor_interaction.pcap")"
expect_eq "directory: devices named by file, as bare files are" \
  "$(q "$work/lab.db" "SELECT group_concat(name, ' ') FROM (SELECT name FROM devices ORDER BY name)")" \
  "idle-capture nest_sensor nest_sensor_deletion"
expect_eq "directory: identified by --ip" "$(q "$work/lab.db" "SELECT group_concat(DISTINCT device_method) FROM captures")" ip
grep -q "notes/n1.txt: not a capture, skipped (too short to be a capture file" "$work/err" &&
  pass "a file that is not a capture named" || fail "skipped file not named: $(cat "$work/err")"
expect_eq "directory: the first five skipped files named" "$(grep -c ': not a capture, skipped' "$work/err")" 5
grep -q "lab: 2 more files that are not captures skipped" "$work/err" && pass "the other skipped files counted" ||
  fail "skipped files not counted: $(cat "$work/err")"
grep -q "lab: read as 4 bare capture files" "$work/err" && pass "directory read as bare captures said" ||
  fail "directory note: $(cat "$work/err")"
# automatic device identification per file, as for bare files
mkdir "$work/auto"
cp "$CIOT_CORPUS/ndpi/alexa-app.pcapng" "$work/auto/"
gzip -c "$nest/nest_sensor_setup.pcap" >"$work/auto/nest.gz"
"$CIOT_ANALYZE" -q -o "$work/auto.db" "$work/auto" 2>"$work/err" || fail "auto directory: exit $? $(cat "$work/err")"
expect_eq "directory: devices found automatically, one per file" \
  "$(q "$work/auto.db" "SELECT group_concat(d.name || ':' || c.device_method || ':' || c.device_mac, ' ') FROM (SELECT * FROM captures ORDER BY file) c JOIN devices d ON d.id = c.device_id")" \
  "alexa-app:auto:78:f8:82:d3:fb:c2 nest:auto:18:b4:30:26:34:40"
# the lifecycle layout still wins when a file follows it
mkdir -p "$work/mixed/nest_sensor"
cp "$nest/nest_sensor_setup.pcap" "$work/mixed/nest_sensor/"
cp "$nest/nest_sensor_idle.pcap" "$work/mixed/other.pcap"
"$CIOT_ANALYZE" -o "$work/mixed.db" --ip "$ip" "$work/mixed" 2>"$work/err" || fail "mixed directory: exit $?"
expect_eq "lifecycle layout first" "$(q "$work/mixed.db" "SELECT group_concat(subphase) FROM captures")" setup
grep -q "other.pcap: not named <device>_<step> inside a <device> folder, not used" "$work/err" &&
  pass "a file outside the layout named" || fail "mixed directory note: $(cat "$work/err")"
# the lifecycle layout with compressed step files
mkdir -p "$work/lcz/nest_sensor"
gzip -c "$nest/nest_sensor_setup.pcap" >"$work/lcz/nest_sensor/nest_sensor_setup.pcap.gz"
zstd -q -c "$nest/nest_sensor_idle.pcap" >"$work/lcz/nest_sensor/nest_sensor_idle.pcap.zst"
"$CIOT_ANALYZE" -q -o "$work/lcz.db" --ip "$ip" "$work/lcz" 2>"$work/err" || fail "compressed lifecycle steps: exit $?"
expect_eq "lifecycle layout, compressed steps" \
  "$(q "$work/lcz.db" "SELECT group_concat(phase || ':' || subphase || ':' || frames, ' ') FROM (SELECT * FROM captures ORDER BY subphase)")" \
  "idle:idle:$(frames_of "$nest/nest_sensor_idle.pcap") setup:setup:$(frames_of "$nest/nest_sensor_setup.pcap")"
# nothing to read
mkdir "$work/nocaptures"
echo text >"$work/nocaptures/readme"
status=0
"$CIOT_ANALYZE" -q -o "$work/none.db" "$work/nocaptures" 2>"$work/err" || status=$?
expect_eq "directory without captures: exit" "$status" 2
grep -q "nocaptures: no capture files found in this directory" "$work/err" && pass "directory without captures named" ||
  fail "directory without captures: $(cat "$work/err")"

# ---- compressed captures --------------------------------------------------------------------------
src=$nest/nest_sensor_setup.pcap
n=$(frames_of "$src")
"$CIOT_ANALYZE" -q -o "$work/plain.db" --ip "$ip" "$src" 2>/dev/null || fail "plain capture: exit $?"
plain=$(q "$work/plain.db" "SELECT frames || ' ' || frame_bytes || ' ' || first_us || ' ' || last_us || ' ' || flows FROM captures")
size=$(stat -c %s "$src")
gzip -c "$src" >"$work/c.pcap.gz"
xz -c "$src" >"$work/c.pcap.xz"
zstd -q -c "$src" >"$work/c.pcap.zst"
# concatenated streams (pigz, xz -T, zstd -T, cat a.gz b.gz) are one file's data
half=$((size / 2))
{ head -c $half "$src" | gzip -c; tail -c +$((half + 1)) "$src" | gzip -c; } >"$work/members.pcap.gz"
{ head -c $half "$src" | xz -c; tail -c +$((half + 1)) "$src" | xz -c; } >"$work/streams.pcap.xz"
{ head -c $half "$src" | zstd -q -c; tail -c +$((half + 1)) "$src" | zstd -q -c; } >"$work/frames.pcap.zst"
cp "$work/c.pcap.zst" "$work/zstd-without-extension"
for f in c.pcap.gz c.pcap.xz c.pcap.zst members.pcap.gz streams.pcap.xz frames.pcap.zst zstd-without-extension; do
  rm -f "$work/z.db"
  "$CIOT_ANALYZE" -q -o "$work/z.db" --ip "$ip" "$work/$f" 2>"$work/err" || fail "$f: exit $? $(cat "$work/err")"
  expect_eq "$f read as the capture it holds" \
    "$(q "$work/z.db" "SELECT frames || ' ' || frame_bytes || ' ' || first_us || ' ' || last_us || ' ' || flows FROM captures")" "$plain"
  expect_eq "$f: file_size is the compressed file's" "$(q "$work/z.db" "SELECT file_size FROM captures")" "$(stat -c %s "$work/$f")"
done
# cut, corrupt, or compressed in a format not read: file: reason, exit 1, nothing stored
head -c 3000 "$work/c.pcap.gz" >"$work/cut.pcap.gz"
head -c 3000 "$work/c.pcap.xz" >"$work/cut.pcap.xz"
head -c 3000 "$work/c.pcap.zst" >"$work/cut.pcap.zst"
cp "$work/c.pcap.gz" "$work/corrupt.pcap.gz"
printf 'XXXXXXXXXXXXXXXX' | dd of="$work/corrupt.pcap.gz" bs=1 seek=2000 conv=notrunc 2>/dev/null
cp "$work/c.pcap.xz" "$work/corrupt.pcap.xz"
printf 'XXXXXXXXXXXXXXXX' | dd of="$work/corrupt.pcap.xz" bs=1 seek=2000 conv=notrunc 2>/dev/null
cp "$work/c.pcap.zst" "$work/corrupt.pcap.zst"
printf 'XXXXXXXXXXXXXXXX' | dd of="$work/corrupt.pcap.zst" bs=1 seek=2000 conv=notrunc 2>/dev/null
bzip2 -c "$src" >"$work/c.pcap.bz2"
printf '\x04\x22\x4d\x18 an lz4 frame, not read here' >"$work/c.pcap.lz4"
echo "not a capture at all, but compressed" | gzip -c >"$work/text.gz"
head -c 4000 "$src" | gzip -c >"$work/head.pcap.gz" # a whole stream holding a cut capture
status=0
"$CIOT_ANALYZE" -q -o "$work/bad.db" --ip "$ip" "$work"/cut.pcap.{gz,xz,zst} "$work"/corrupt.pcap.{gz,xz,zst} \
  "$work/c.pcap.bz2" "$work/c.pcap.lz4" "$work/text.gz" "$work/head.pcap.gz" 2>"$work/err" || status=$?
expect_eq "bad compressed files: exit" "$status" 1
for pat in "cut.pcap.gz: gzip: the compressed data ends early" "cut.pcap.xz: xz: the compressed data ends early" \
  "cut.pcap.zst: zstd: the compressed data ends early" "corrupt.pcap.gz: gzip: corrupt data" \
  "corrupt.pcap.xz: xz: corrupt data" "corrupt.pcap.zst: zstd: " \
  "c.pcap.bz2: compressed with bzip2: decompress it first (bunzip2)" \
  "c.pcap.lz4: compressed with lz4: decompress it first (unlz4)" \
  "text.gz: in the gzip-decompressed data: not a pcap or pcapng file" \
  "head.pcap.gz: warning: the file ends inside a packet record"; do
  grep -q "$pat" "$work/err" && pass "reported: $pat" || fail "not reported: $pat ($(cat "$work/err"))"
done
expect_eq "only the whole stream of a cut capture stored" "$(q "$work/bad.db" "SELECT group_concat(file) FROM captures")" "$work/head.pcap.gz"
# ---- pcapng with several sections ------------------------------------------------------------------
# three captures of three link types (Ethernet, Linux SLL, raw IP) as pcapng: concatenated, a file
# of three sections (each with its own interface 0); merged by mergecap -a, one section of three
# interfaces (libpcap refuses both: one link type a file). Each read as the three files are apart.
parts=("$nest/nest_sensor_setup.pcap" "$CIOT_CORPUS/ndpi/KakaoTalk_chat.pcap" "$CIOT_CORPUS/ndpi/bjnp.pcap")
ngs=()
for i in 0 1 2; do
  editcap -F pcapng "${parts[$i]}" "$work/part$i.pcapng"
  ngs+=("$work/part$i.pcapng")
done
cat "${ngs[@]}" >"$work/sections.pcapng"
mergecap -a -F pcapng -w "$work/interfaces.pcapng" "${ngs[@]}"
expect_eq "capinfos: frames of the three-section file" "$(frames_of "$work/sections.pcapng")" \
  "$(( $(frames_of "${parts[0]}") + $(frames_of "${parts[1]}") + $(frames_of "${parts[2]}") ))"
sums="SELECT sum(frames) || ' ' || sum(frame_bytes) || ' ' || sum(flows) || ' ' || min(first_us) || ' ' || max(last_us) FROM captures"
"$CIOT_ANALYZE" -q --all-flows -o "$work/parts.db" "${parts[@]}" 2>/dev/null || fail "the three parts: exit $?"
for f in sections interfaces; do
  "$CIOT_ANALYZE" -q --all-flows -o "$work/$f.db" "$work/$f.pcapng" 2>"$work/err" || fail "$f.pcapng: exit $? $(cat "$work/err")"
  expect_eq "$f.pcapng read as its three parts" "$(q "$work/$f.db" "$sums")" "$(q "$work/parts.db" "$sums")"
  expect_eq "$f.pcapng: decode events as its parts (none: no frame read under another link type)" \
    "$(q "$work/$f.db" "SELECT group_concat(r, ' ') FROM (SELECT reason || '=' || sum(frames) r FROM decode_events GROUP BY reason ORDER BY reason)")" \
    "$(q "$work/parts.db" "SELECT group_concat(r, ' ') FROM (SELECT reason || '=' || sum(frames) r FROM decode_events GROUP BY reason ORDER BY reason)")"
done

# ---- nanosecond timestamps ------------------------------------------------------------------------
# the capture moved by 1.5 us and written with nanosecond timestamps, as pcap (magic a1b23c4d) and
# as pcapng (if_tsresol 9): stored 1 us later than the original (truncated, not off by 1000)
editcap -F nsecpcap -t 0.0000015 "$src" "$work/ns.pcap"
editcap -F pcapng "$work/ns.pcap" "$work/ns.pcapng"
expect_eq "nanosecond pcap magic" "$(od -A n -t x4 -N 4 "$work/ns.pcap" | tr -d ' ')" a1b23c4d
times="SELECT first_us || ' ' || last_us || ' ' || (SELECT min(first_us) || ' ' || max(last_us) FROM flows) FROM captures"
first=$(q "$work/plain.db" "SELECT first_us FROM captures")
last=$(q "$work/plain.db" "SELECT last_us FROM captures")
ffirst=$(q "$work/plain.db" "SELECT min(first_us) FROM flows")
flast=$(q "$work/plain.db" "SELECT max(last_us) FROM flows")
for f in ns.pcap ns.pcapng; do
  rm -f "$work/ns.db"
  "$CIOT_ANALYZE" -q -o "$work/ns.db" --ip "$ip" "$work/$f" 2>/dev/null || fail "$f: exit $?"
  expect_eq "$f: timestamps in microseconds" "$(q "$work/ns.db" "$times")" \
    "$((first + 1)) $((last + 1)) $((ffirst + 1)) $((flast + 1))"
done

# ---- past 4 GiB -----------------------------------------------------------------------------------
# 4.55 GB streamed through a FIFO by big-capture.py (nothing written to disk): the capture's packets,
# 70,000 UDP frames of 65,042 bytes in one flow, the capture's packets again. Every count past
# 2^32 bytes is whole: the capture's frame and device bytes, the one flow's bytes; and the same
# stream compressed with zstd (under a megabyte) reads the same.
fill=70000
big_bytes=$(( 2 * $(q "$work/plain.db" "SELECT frame_bytes FROM captures") + fill * 65042 ))
mkfifo "$work/big.pcap"
python3 "$CIOT_SOURCE_DIR/tests/integration/big-capture.py" "$src" "$work/big.pcap" $fill &
"$CIOT_ANALYZE" -o "$work/big.db" --ip "$ip" --no-pii "$work/big.pcap" 2>"$work/err" || fail "4 GiB capture: exit $? $(cat "$work/err")"
wait
expect_eq "past 4 GiB: frames, frame and device bytes" \
  "$(q "$work/big.db" "SELECT frames || ' ' || frame_bytes || ' ' || device_bytes FROM captures")" \
  "$((2 * n + fill)) $big_bytes $big_bytes"
expect_eq "past 4 GiB: the one flow's packets and bytes" \
  "$(q "$work/big.db" "SELECT packets_out || ' ' || bytes_out || ' ' || payload_out FROM flows WHERE remote_ip = '203.0.113.7'")" \
  "$fill $((fill * 65042)) $((fill * 65000))"
# what was read: the capture's bytes, 24 + records and their 16-byte headers
read_mb=$(awk -v b="$(( 24 + 2 * (size - 24) + fill * (16 + 65042) ))" 'BEGIN { printf "%.1f", b / 1e6 }')
grep -q "packets read ($read_mb MB)" "$work/err" && pass "past 4 GiB: bytes read in the summary ($read_mb MB)" ||
  fail "summary of the 4 GiB capture: $(grep 'packets read' "$work/err")"
python3 "$CIOT_SOURCE_DIR/tests/integration/big-capture.py" "$src" /dev/stdout $fill | zstd -q -1 -c >"$work/big.pcap.zst"
"$CIOT_ANALYZE" -q -o "$work/bigz.db" --ip "$ip" --no-pii "$work/big.pcap.zst" 2>/dev/null || fail "4 GiB zstd capture: exit $?"
expect_eq "past 4 GiB, zstd-compressed: as the stream" \
  "$(q "$work/bigz.db" "SELECT frames || ' ' || frame_bytes || ' ' || file_size FROM captures")" \
  "$((2 * n + fill)) $big_bytes $(stat -c %s "$work/big.pcap.zst")"
finish
