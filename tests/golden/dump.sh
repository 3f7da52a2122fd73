#!/usr/bin/env bash
# dump.sh [--positions] [--subst PATH=NAME]... DB: prints every table and every view of a ciot database as text
# that is the same wherever and whenever the same analysis ran, for the golden test (run.sh).
#
# Objects are sorted by name. Each is a header line ("== table flows", "== view flow_view"), its
# columns sorted by name as pragma table_info gives them (name, declared type, NOT NULL, default,
# primary-key position: a column renamed, retyped, added or dropped shows; its position does not,
# as the core tables' columns come in groups, the core's then each analyzer's, and readers name
# columns), its row count, then every row in sqlite3's quote mode (NULL and '' differ, text is
# quoted, numbers are not), its values in the columns' name order, ordered by every column. BLOB
# values print as their length and SHA3-256 (the sqlite3 shell's sha3()). --positions lists the
# columns in their declared order with their positions instead (rows stay in name order, so that
# a moved column shows in the column lines alone): compare.sh uses it to compare two builds.
#
# Normalised, because they legitimately differ between runs and machines, and nothing else:
#   - absolute paths: the corpus root ($CIOT_CORPUS) becomes $CORPUS, the source tree
#     ($CIOT_SOURCE_DIR, default the checkout holding this script) $SOURCE, and each --subst
#     PATH=NAME (a temporary folder) NAME; in every text value of every column (captures.file,
#     meta values, devices.manifest, the views' file columns). Roots are compared after realpath,
#     as ciot-analyze stores capture paths; the longest root is replaced first.
#   - times of the analysis: every column whose name ends in "_at" (captures.analyzed_at), and the
#     meta values whose key ends in "_at" or contains "time" (last_run_at), become '<time>'.
#   - versions of the tools and libraries: meta ciot_version, ndpi_version, sqlite_version and
#     public_suffix_list (libpsl's and libidn2's versions and the list's path) become '<version>'.
#     schema_version is kept: a schema change is a change of output.
# Internal sqlite_* tables are left out; PRAGMA user_version and application_id are printed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
substs=()
positions=0
while [ $# -gt 1 ]; do
  case $1 in
    --subst) substs+=("$2"); shift 2 ;;
    --positions) positions=1; shift ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] && [ -f "$1" ] || { echo "usage: dump.sh [--positions] [--subst PATH=NAME]... DB" >&2; exit 2; }
db=$1
command -v sqlite3 >/dev/null || { echo "dump.sh: sqlite3 is missing (scripts/setup.sh installs it)" >&2; exit 2; }

# roots to replace, longest first
source_dir=${CIOT_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
roots=()
[ -n "${CIOT_CORPUS:-}" ] && [ -d "$CIOT_CORPUS" ] && roots+=("$(realpath "$CIOT_CORPUS")=\$CORPUS")
roots+=("$(realpath "$source_dir")=\$SOURCE")
for s in ${substs[@]+"${substs[@]}"}; do
  p=${s%%=*}
  [ -e "$p" ] && p=$(realpath "$p")
  roots+=("$p=${s#*=}")
done
mapfile -t roots < <(for r in "${roots[@]}"; do p=${r%%=*}; [ ${#p} -gt 1 ] && printf '%d\t%s\n' ${#p} "$r"; done |
  sort -t$'\t' -k1,1nr -k2 | cut -f2-)

sql_string() { printf "'%s'" "${1//\'/\'\'}"; }
sql_ident() { printf '"%s"' "${1//\"/\"\"}"; }
# the text normalisation of expression $1
text_expr() {
  local e=$1 r
  for r in "${roots[@]}"; do
    e="replace($e, $(sql_string "${r%%=*}"), $(sql_string "${r#*=}"))"
  done
  printf '%s' "$e"
}

q() { sqlite3 -readonly -batch -noheader -bail "$db" "$@"; }
script=$(mktemp)
trap 'rm -f "$script"' EXIT
{
  echo ".mode list"
  echo ".print '# ciot golden dump'"
  echo "SELECT 'user_version ' || user_version FROM pragma_user_version;"
  echo "SELECT 'application_id ' || application_id FROM pragma_application_id;"
} >"$script"

while IFS='|' read -r type name; do
  mapfile -t cols < <(q "SELECT name FROM pragma_table_info($(sql_string "$name")) ORDER BY name")
  id=$(sql_ident "$name")
  exprs=()
  for c in "${cols[@]}"; do
    ci=$(sql_ident "$c")
    if [ "$name" = meta ] && [ "$c" = value ]; then
      e="CASE WHEN key LIKE '%\\_at' ESCAPE '\\' OR key LIKE '%time%' THEN '<time>'
              WHEN key IN ('ciot_version', 'ndpi_version', 'sqlite_version', 'public_suffix_list') THEN '<version>'
              ELSE $(text_expr "$ci") END"
    elif [[ $c == *_at ]]; then
      e="CASE WHEN $ci IS NULL THEN NULL ELSE '<time>' END"
    else
      e="CASE typeof($ci) WHEN 'blob' THEN printf('<blob %d bytes, sha3 %s>', length($ci), lower(hex(sha3($ci))))
              WHEN 'text' THEN $(text_expr "$ci") ELSE $ci END"
    fi
    exprs+=("$e")
  done
  select=$(IFS=,; echo "${exprs[*]}")
  order=$(seq -s, 1 ${#cols[@]})
  {
    echo ".mode list"
    echo ".print ''"
    echo ".print $(sql_string "== $type $name")"
    if [ "$positions" = 1 ]; then
      echo "SELECT printf('column %d %s %s notnull=%d default=%s pk=%d', cid, name, type, \"notnull\", coalesce(dflt_value, 'NULL'), pk)
            FROM pragma_table_info($(sql_string "$name")) ORDER BY cid;"
    else
      echo "SELECT printf('column %s %s notnull=%d default=%s pk=%d', name, type, \"notnull\", coalesce(dflt_value, 'NULL'), pk)
            FROM pragma_table_info($(sql_string "$name")) ORDER BY name;"
    fi
    echo "SELECT 'rows ' || count(*) FROM $id;"
    echo ".mode quote"
    echo "SELECT $select FROM $id ORDER BY $order;"
  } >>"$script"
done < <(q "SELECT type, name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
            ORDER BY name, type")

sqlite3 -readonly -batch -noheader -bail "$db" <"$script"
