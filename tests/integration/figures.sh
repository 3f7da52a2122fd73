#!/usr/bin/env bash
# figures.sh [--update]: ciot-report's figures (docs/figures.md) on real databases. The golden test's
# databases of the sample, lab (certificate-interception tags), auto, tls and lifecycle cases
# (tests/golden/run.sh, so with its pinned options), and the sample grown to 70 devices, 12
# categories and 30 countries with hostile names (tests/figures/widen.py): every figure with data is
# well-formed XML (xmllint) and renders (rsvg-convert), no database text comes out unescaped, a
# figure without data is skipped with a reason, and a second run writes the same bytes. The sample's
# figures are pinned byte for byte in tests/golden/figures/sample/ (with the list of skipped ones),
# and its every export as Markdown in tests/golden/tables/sample/;
# after an intended change (or a new sample), regenerate them with
#   CIOT_ANALYZE=build/analyze/ciot-analyze CIOT_REPORT=build/report/ciot-report CIOT_SOURCE_DIR=$PWD \
#     CIOT_CORPUS=../shared/corpus bash tests/integration/figures.sh --update
# and say why in the commit.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
update=0
[ "${1:-}" = --update ] && update=1
need_corpus
command -v xmllint >/dev/null || { echo "FAIL: no xmllint (libxml2-utils; make setup)" >&2; exit 1; }
command -v rsvg-convert >/dev/null || { echo "FAIL: no rsvg-convert (librsvg2-bin; make setup)" >&2; exit 1; }
golden_figures=$CIOT_SOURCE_DIR/tests/golden/figures/sample
export TZ=UTC LC_ALL=C

# the golden cases' databases (their dumps are integration-golden's business, not this test's)
cases="sample lab auto tls lifecycle"
# shellcheck disable=SC2086
CIOT_ANALYZE=$CIOT_ANALYZE bash "$CIOT_SOURCE_DIR/tests/golden/run.sh" --keep "$work/golden" $cases >"$work/golden.log" 2>&1 || true
python3 "$CIOT_SOURCE_DIR/tests/figures/widen.py" "$work/golden/sample/sample.db" "$work/wide.db" ||
  fail "widen.py on the sample"

check_dir() { # name dir: every SVG well-formed, rendered, nothing unescaped
  local name=$1 dir=$2 f n=0
  for f in "$dir"/*.svg; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    xmllint --noout --nonet "$f" 2>"$work/xmllint.err" || fail "$name $(basename "$f"): not well-formed: $(head -3 "$work/xmllint.err")"
    rsvg-convert -o "${f%.svg}.png" "$f" 2>"$work/rsvg.err" && [ -s "${f%.svg}.png" ] ||
      fail "$name $(basename "$f"): rsvg-convert: $(head -3 "$work/rsvg.err")"
    if grep -q -e '<script' -e 'xlink:href' -e 'href=' "$f"; then fail "$name $(basename "$f"): a script or an external reference"; fi
  done
  [ "$n" -gt 0 ] || fail "$name: no figure drawn"
  pass "$name: $n figures well-formed and rendered"
}

for c in $cases wide; do
  db=$work/golden/$c/$c.db
  [ "$c" = wide ] && db=$work/wide.db
  [ -f "$db" ] || { fail "no database for $c (tests/golden/run.sh: $(tail -3 "$work/golden.log"))"; continue; }
  "$CIOT_REPORT" "$db" --svg "$work/figs-$c" >"$work/$c.out" 2>"$work/$c.err" || fail "$c: ciot-report --svg: $(cat "$work/$c.err")"
  check_dir "$c" "$work/figs-$c"
  # every figure is either written or skipped with a reason
  while read -r name _; do
    grep -q -e "^wrote $work/figs-$c/$name.svg\$" -e "^skipped $name: ." "$work/$c.out" || fail "$c: $name neither written nor skipped"
  done < <("$CIOT_REPORT" --help | sed -n '/^Figures (SVG):/,/^$/p' | sed '1d;/^$/d')
  "$CIOT_REPORT" "$db" --svg "$work/again-$c" >/dev/null 2>&1
  diff -r -q -x '*.png' "$work/figs-$c" "$work/again-$c" >/dev/null || fail "$c: a second run wrote other bytes"
done

# the shaping figures on a ciot-shape run stored into a copy of the sample's database (the lifecycle
# paper's camera, one seed), when the camera's data is there
shape=$(dirname "$CIOT_REPORT")/../shaping/ciot-shape
camera=${CIOT_DATA:-$CIOT_SOURCE_DIR/../shared/data}/nku-camera
if [ -x "$shape" ] && [ -f "$camera/xiaobai_Y2camera.txt" ]; then
  cp "$work/golden/sample/sample.db" "$work/shape.db"
  "$shape" score --device 192.168.1.165 --timetable "$camera/xiaobai_Y2camera.txt" --seeds 1 --store "$work/shape.db" \
    "$camera"/xiaobai_Y2camera_{speak_local,speak_remote,idle_local,idle_remote}.pcap >/dev/null 2>&1 ||
    fail "ciot-shape score --store"
  "$CIOT_REPORT" "$work/shape.db" --svg "$work/figs-shape" >"$work/shape.out" 2>&1 || fail "--svg on a shaping run"
  grep -q "^wrote .*/shaping-auc.svg" "$work/shape.out" && grep -q "^wrote .*/shaping-cost.svg" "$work/shape.out" ||
    fail "the shaping figures were not drawn: $(grep shaping "$work/shape.out")"
  check_dir shape "$work/figs-shape"
else
  echo "note: no ciot-shape or no camera data ($camera): the shaping figures are checked by unit-svg only"
fi

# the wide database's hostile names: escaped, and a long one cut with its whole text in a <title>
grep -q '&lt;script&gt;alert(&quot;x&quot;)' "$work/figs-wide/overseas.svg" || fail "wide: the hostile category is not escaped"
grep -q $'\xef\xbf\xbd' "$work/figs-wide/overseas.svg" || fail "wide: bytes that are not UTF-8 are not replaced"
[ "$(grep -c '<rect' "$work/figs-wide/overseas.svg")" -gt 60 ] || fail "wide: overseas has too few bars for 13 rows"

# the sample's tables as Markdown, every export: pinned beside its figures (tests/golden/tables/sample)
golden_tables=$CIOT_SOURCE_DIR/tests/golden/tables/sample
mkdir -p "$work/tables-sample"
while read -r table _; do
  "$CIOT_REPORT" "$work/golden/sample/sample.db" "$table" -f md -o "$work/tables-sample/$table.md" ||
    fail "$table: ciot-report -f md"
  # the captures' paths are the checkout's: written as $SOURCE, as the golden dumps do
  sed -i -e "s|$(realpath "$CIOT_SOURCE_DIR")|\$SOURCE|g" -e "s|$CIOT_SOURCE_DIR|\$SOURCE|g" "$work/tables-sample/$table.md"
done < <("$CIOT_REPORT" --help | sed -n '/^Tables:/,/^$/p' | sed '1d;/^$/d')

# figure NAME: a file, or exit status 3 and no file
"$CIOT_REPORT" "$work/golden/sample/sample.db" figure sankey -o "$work/one.svg" 2>/dev/null || fail "figure sankey"
cmp -s "$work/one.svg" "$work/figs-sample/sankey.svg" || fail "figure sankey differs from --svg's"
status=0
"$CIOT_REPORT" "$work/golden/sample/sample.db" figure shaping-auc -o "$work/none.svg" 2>"$work/none.err" || status=$?
expect_eq "figure without data: exit status" "$status" 3
[ ! -e "$work/none.svg" ] || fail "figure without data left a file"
grep -q "no figure shaping-auc: " "$work/none.err" || fail "figure without data: no reason given"

# the sample's figures, byte for byte
sed "s|$work/figs-sample/||" "$work/sample.out" >"$work/figs-sample/list.txt"
if [ "$update" = 1 ]; then
  rm -rf "$golden_figures" && mkdir -p "$golden_figures"
  cp "$work/figs-sample/"*.svg "$work/figs-sample/list.txt" "$golden_figures/"
  rm -rf "$golden_tables" && mkdir -p "$golden_tables"
  cp "$work/tables-sample/"*.md "$golden_tables/"
  echo "updated $golden_figures and $golden_tables"
else
  if diff -r "$golden_tables" "$work/tables-sample" >"$work/tables.diff"; then
    pass "the sample's tables (Markdown) are the golden ones"
  else
    fail "the sample's Markdown tables differ from tests/golden/tables/sample (regenerate: see this script's head)"
    head -40 "$work/tables.diff" >&2
  fi
  if diff -r -x '*.png' "$golden_figures" "$work/figs-sample" >"$work/golden.diff"; then
    pass "the sample's figures are the golden ones"
  else
    fail "the sample's figures differ from tests/golden/figures/sample (regenerate: see this script's head)"
    head -40 "$work/golden.diff" >&2
  fi
fi
finish
