#!/usr/bin/env bash
# ciot-report compare on real analyses (issue 18): the sample dataset analyzed with the default
# options, with --entropy paper, and with another home country in its manifest. Every diff of a row
# on both sides is B's value minus A's as each database's own export gives them; rows are matched on
# the key columns; the settings that differ are named; the same file twice differs in nothing; two
# schema versions are refused.
source "$(dirname "$0")/lib.sh"
sample=$CIOT_SOURCE_DIR/datasets/sample
"$CIOT_ANALYZE" -q -o "$work/default.db" "$sample" 2>/dev/null || fail "ciot-analyze (default)"
"$CIOT_ANALYZE" -q --entropy paper -o "$work/paper.db" "$sample" 2>/dev/null || fail "ciot-analyze --entropy paper"
# the same captures with home_country US (file paths made absolute, as the copy lives elsewhere)
python3 - "$sample/manifest.json" "$work/us.json" <<'PY'
import json, os, sys
m = json.load(open(sys.argv[1]))
m["home_country"] = "US"
for c in m["captures"]:
    c["file"] = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), c["file"])
json.dump(m, open(sys.argv[2], "w"))
PY
"$CIOT_ANALYZE" -q -o "$work/us.db" "$work/us.json" 2>/dev/null || fail "ciot-analyze (home US)"

# diff arithmetic: every row on both sides, every value column, against the two exports
check_diffs() { # A B EXPORT
  "$CIOT_REPORT" compare "$1" "$2" "$3" -f json >"$work/cmp.json" 2>/dev/null || { fail "compare $3"; return; }
  "$CIOT_REPORT" "$1" "$3" -f json >"$work/a.json" && "$CIOT_REPORT" "$2" "$3" -f json >"$work/b.json"
  python3 - "$work/cmp.json" "$work/a.json" "$work/b.json" "$3" <<'PY'
import json, sys
cmp = json.load(open(sys.argv[1]))["exports"][sys.argv[4]]
a, b = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
cols = list(a[0].keys()) if a else []
keys = [c for c in cols if c in cmp[0]] if cmp else []
values = [c for c in cols if "diff_" + c in (cmp[0] if cmp else {})]
def index(rows):
    out = {}
    for r in rows:
        out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return out
ia, ib = index(a), index(b)
checked = bad = 0
seen = {}
for row in cmp:
    k = tuple(row[x] for x in keys)
    n = seen.get(k, 0); seen[k] = n + 1
    ra = ia.get(k, [None] * (n + 1))[n] if n < len(ia.get(k, [])) else None
    rb = ib.get(k, [None] * (n + 1))[n] if n < len(ib.get(k, [])) else None
    want = "both" if ra and rb else "a" if ra else "b"
    if row["present"] != want:
        bad += 1; print("present", k, row["present"], want)
    for c in values:
        if ra and rb:
            if ra[c] is None or rb[c] is None:
                ok = row["diff_" + c] is None
            elif isinstance(ra[c], int) and not isinstance(ra[c], bool) and isinstance(rb[c], int):
                ok = row["diff_" + c] == rb[c] - ra[c]
            else:
                d = rb[c] - ra[c]
                ok = abs(row["diff_" + c] - d) < 1e-6 or (row["diff_" + c] == 0 and abs(d) < 5e-4)
            checked += 1
            if not ok:
                bad += 1; print("diff", k, c, ra[c], rb[c], row["diff_" + c])
        if ra and row["a_" + c] != ra[c] or rb and row["b_" + c] != rb[c]:
            bad += 1; print("value", k, c)
both_sides = sum(1 for r in cmp if r["present"] == "both")
print(f"{checked} diffs, {len(cmp)} rows ({both_sides} on both sides), {len(a)} + {len(b)} export rows")
sys.exit(1 if bad or len(cmp) < max(len(a), len(b)) else 0)
PY
}
for t in encryption encryption-heatmap summary parties protocols pii-kinds destinations; do
  out=$(check_diffs "$work/default.db" "$work/paper.db" "$t") && pass "default vs paper, $t: $out" || fail "default vs paper, $t: $out"
done
for t in countries sankey organizations; do
  out=$(check_diffs "$work/default.db" "$work/us.db" "$t") && pass "default vs home US, $t: $out" || fail "default vs home US, $t: $out"
done

# the entropy mode changes some share
changed=$("$CIOT_REPORT" compare "$work/default.db" "$work/paper.db" encryption-heatmap 2>/dev/null | grep -c ',both,.*byte_share' || true)
[ "$changed" -gt 0 ] && pass "the entropy mode changes $changed heatmap rows" ||
  fail "no encryption share differs between the two entropy modes"
# what differs is said: on standard error and in meta
err=$("$CIOT_REPORT" compare "$work/default.db" "$work/paper.db" summary 2>&1 >/dev/null)
expect_eq "stderr names the entropy setting" "$err" \
  "ciot-report compare: the analyses differ in: encryption_method (EXPORT meta shows them)"
expect_eq "meta: encryption_method differs" \
  "$("$CIOT_REPORT" compare "$work/default.db" "$work/paper.db" meta 2>/dev/null | grep -c '^encryption_method,option,.*,no$')" "1"
expect_eq "meta: the home countries" \
  "$("$CIOT_REPORT" compare "$work/default.db" "$work/us.db" meta 2>/dev/null | grep -E '^(home_country|report_home),')" \
  "$(printf 'home_country,option,CN,US,no\nreport_home,option,CN,US,no')"
# the US home makes the sensor's US traffic domestic: overseas 1 -> 0
expect_eq "countries: overseas changes with the home country" \
  "$("$CIOT_REPORT" compare "$work/default.db" "$work/us.db" countries 2>/dev/null | grep -c '^all,all,all,US,both,1,0,')" "1"
# --home sets both sides: then overseas agrees
expect_eq "countries with --home for both: overseas agrees" \
  "$("$CIOT_REPORT" compare "$work/default.db" "$work/us.db" countries --home US 2>/dev/null | grep -c '^all,all,all,US,both,0,0,')" "1"

# the same file: noted, every row on both sides, nothing changed
err=$("$CIOT_REPORT" compare "$work/default.db" "$work/default.db" destinations -f json -o "$work/same.json" 2>&1)
expect_eq "same file noted" "$err" \
  "ciot-report compare: $work/default.db and $work/default.db are the same file: every difference is 0"
expect_eq "same file: rows not both or changed" "$(python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))["exports"]["destinations"]
print(len([r for r in rows if r["present"] != "both" or r["changed"] != ""]), len(rows) > 0)' "$work/same.json")" "0 True"

# the Markdown document: meta and the default exports
"$CIOT_REPORT" compare "$work/default.db" "$work/paper.db" -f md >"$work/cmp.md" 2>/dev/null || fail "compare -f md"
for t in meta summary countries parties organizations encryption-heatmap protocols cert-issues validation pii-kinds; do
  grep -q "^## $t\$" "$work/cmp.md" || fail "compare -f md has no $t section"
done
# CSV is one table
"$CIOT_REPORT" compare "$work/default.db" "$work/paper.db" summary parties >/dev/null 2>&1 && fail "CSV with two exports accepted"
# another schema version is refused, clearly
cp "$work/default.db" "$work/old.db"
sqlite3 "$work/old.db" "UPDATE meta SET value = '8' WHERE key = 'schema_version'"
err=$("$CIOT_REPORT" compare "$work/default.db" "$work/old.db" summary 2>&1 >/dev/null) && fail "schema 8 against 9 accepted"
expect_eq "schema versions refused" "$err" \
  "ciot-report compare: $work/default.db has schema version 9, $work/old.db version 8: exports of different schemas are not comparable (analyze both with this ciot)"
# -o goes through ciot-report's writer: an input database is refused, whichever side it is
cp "$work/us.db" "$work/b-copy.db"
status=0
"$CIOT_REPORT" compare "$work/default.db" "$work/b-copy.db" summary -o "$work/b-copy.db" 2>"$work/o.err" || status=$?
expect_eq "compare -o an input: exit status" "$status" 1
grep -q "b-copy.db: is the input database" "$work/o.err" && pass "compare -o an input: refused" ||
  fail "compare -o an input: $(cat "$work/o.err")"
cmp -s "$work/us.db" "$work/b-copy.db" && pass "compare -o an input: the database untouched" ||
  fail "compare -o an input: the database was overwritten"
"$CIOT_REPORT" compare "$work/default.db" "$work/us.db" summary -o /dev/null && pass "compare -o /dev/null" ||
  fail "compare -o /dev/null"
finish
