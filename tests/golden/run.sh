#!/usr/bin/env bash
# run.sh [--update | --dump-to DIR] [--positions] [--keep DIR] [CASE...]: the golden test. For each case of cases.txt (or those
# named), runs ciot-analyze ($CIOT_ANALYZE) into a fresh database in a temporary folder, dumps it
# with dump.sh and compares the dump with expected/<case>.dump; any difference fails the test and
# prints the diff (its first 100 lines). It proves that a change of the code changes no output:
# every table and view, every row, every id. --update writes the dumps to expected/ instead (only
# after checking that the differences are intended, and say why in the commit). --dump-to DIR
# writes them to DIR, compared with nothing; --positions dumps columns with their positions
# (dump.sh; compare.sh uses both to compare two builds). --keep DIR keeps the databases, dumps and
# logs in DIR.
#
# Environment (as ctest gives it, tests/CMakeLists.txt): CIOT_ANALYZE, CIOT_SOURCE_DIR (default:
# this checkout), CIOT_CORPUS (default: ../shared/corpus beside the checkout, else
# /work/shared/corpus); CIOT_GEO_DIR (default: the checkout's datasets/geo).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
update=0
dump_to=
positions=()
keep=
only=()
while [ $# -gt 0 ]; do
  case $1 in
    --update) update=1; shift ;;
    --dump-to) dump_to=$2; mkdir -p "$dump_to"; shift 2 ;;
    --positions) positions=(--positions); shift ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) only+=("$1"); shift ;;
  esac
done

source_dir=$(realpath "${CIOT_SOURCE_DIR:-$here/../..}")
if [ -z "${CIOT_CORPUS:-}" ]; then
  if [ -d "$source_dir/../shared/corpus" ]; then CIOT_CORPUS=$source_dir/../shared/corpus
  else CIOT_CORPUS=/work/shared/corpus; fi
fi
[ -d "$CIOT_CORPUS/ndpi" ] && [ -d "$CIOT_CORPUS/tcpdump" ] ||
  { echo "FAIL: the shared corpus is not at $CIOT_CORPUS" >&2; exit 1; }
corpus=$(realpath "$CIOT_CORPUS")
analyze=${CIOT_ANALYZE:-$source_dir/build/analyze/ciot-analyze}
[ -x "$analyze" ] || { echo "FAIL: no ciot-analyze at $analyze (set CIOT_ANALYZE)" >&2; exit 1; }
geo=${CIOT_GEO_DIR:-$source_dir/datasets/geo}
export CIOT_CORPUS=$corpus CIOT_SOURCE_DIR=$source_dir
# a sanitizer report fails the test by itself, as in tests/integration/lib.sh
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:exitcode=86:print_stacktrace=1}
export TZ=UTC LC_ALL=C

if [ -n "$keep" ]; then mkdir -p "$keep"; work=$(realpath "$keep")
else work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi

# $CORPUS, $SOURCE, $GOLDEN and $WORK (the case's folder) in a word of cases.txt or a template
expand() {
  local s=$1
  s=${s//\$CORPUS/$corpus}
  s=${s//\$SOURCE/$source_dir}
  s=${s//\$GOLDEN/$here}
  s=${s//\$WORK/$case_dir}
  printf '%s' "$s"
}
expand_file() { # template output
  local line
  while IFS= read -r line || [ -n "$line" ]; do printf '%s\n' "$(expand "$line")"; done <"$1" >"$2"
}
# an input of cases.txt as ciot-analyze is given it:
#   NAME.in (file): the file with $CORPUS etc. replaced, as $WORK/NAME;
#   NAME.in (folder): copied to $WORK/NAME; inside it, FILE.in is expanded to FILE and FILE.link
#     becomes a symbolic link FILE to the (expanded) path it holds;
#   cut:BYTES:PATH: the first BYTES bytes of PATH, as $WORK/cut-BYTES-<name> (a file that ends
#     inside a record);
#   anything else: the path, expanded.
prepare_input() {
  local in out f
  in=$(expand "$1")
  case $in in
    cut:*)
      local rest=${in#cut:}
      local bytes=${rest%%:*} path=${rest#*:}
      out=$case_dir/cut-$bytes-$(basename "$path")
      head -c "$bytes" "$path" >"$out"
      ;;
    *.in)
      out=$case_dir/$(basename "${in%.in}")
      if [ -d "$in" ]; then
        cp -R "$in" "$out"
        while IFS= read -r -d '' f; do expand_file "$f" "${f%.in}"; rm "$f"; done < <(find "$out" -type f -name '*.in' -print0)
        while IFS= read -r -d '' f; do
          ln -s "$(expand "$(head -n1 "$f")")" "${f%.link}"; rm "$f"
        done < <(find "$out" -type f -name '*.link' -print0)
      else
        expand_file "$in" "$out"
      fi
      ;;
    *) out=$in ;;
  esac
  printf '%s' "$out"
}

# the paths of a message, as dump.sh writes them in the database's text
normalise() {
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line//"$work"/\$WORK}
    line=${line//"$corpus"/\$CORPUS}
    line=${line//"$source_dir"/\$SOURCE}
    printf '%s\n' "$line"
  done
}

# cases.txt: "case NAME OPTION..." then one input a line, indented; "#" starts a comment
names=() ; declare -A opts inputs
current=
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%%#*}
  [[ $line =~ [^[:space:]] ]] || continue
  if [[ $line =~ ^case[[:space:]] ]]; then
    read -r -a words <<<"$line"
    current=${words[1]}
    names+=("$current")
    opts[$current]="${words[*]:2}"
    inputs[$current]=
  elif [[ $line =~ ^[[:space:]] ]] && [ -n "$current" ]; then
    read -r -a words <<<"$line"
    inputs[$current]+="${words[0]}"$'\n'
  else
    echo "run.sh: cases.txt: cannot read: $line" >&2; exit 2
  fi
done <"$here/cases.txt"

failures=0
started=$SECONDS
for name in "${names[@]}"; do
  if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $name "* ]]; then continue; fi
  case_dir=$work/$name
  rm -rf "$case_dir"; mkdir -p "$case_dir"
  args=()
  for o in ${opts[$name]}; do args+=("$(expand "$o")"); done
  files=()
  while IFS= read -r i; do [ -n "$i" ] && files+=("$(prepare_input "$i")"); done <<<"${inputs[$name]}"
  keyed=(--pii-key "$here/pii.key")
  [[ " ${args[*]} " == *" --no-pii "* ]] && keyed=()   # ciot-analyze refuses a key it cannot use
  db=$case_dir/$name.db
  t0=$SECONDS
  status=0
  "$analyze" -q -j 1 --geo-dir "$geo" --rules-dir "$source_dir/datasets/attribution" \
    --ca-file "$here/ca.pem" "${keyed[@]}" "${args[@]}" -o "$db" "${files[@]}" \
    >"$case_dir/stdout" 2>"$case_dir/stderr" || status=$?
  # 0, or 1 when a capture was refused (a case may mean it): anything else is a failure by itself
  if [ "$status" -gt 1 ] || [ ! -f "$db" ]; then
    echo "FAIL: $name: ciot-analyze exited with $status; its output:" >&2
    head -50 "$case_dir/stdout" "$case_dir/stderr" >&2
    failures=$((failures + 1))
    continue
  fi
  {
    "$here/dump.sh" ${positions[@]+"${positions[@]}"} --subst "$work=\$WORK" "$db"
    # what ciot-analyze said (warnings: -q leaves out progress and notes) is output too
    echo
    echo "== ciot-analyze exit status $status, stdout and stderr"
    cat "$case_dir/stdout" "$case_dir/stderr" | normalise
  } >"$case_dir/$name.dump"
  expected=$here/expected/$name.dump
  if [ -n "$dump_to" ]; then
    cp "$case_dir/$name.dump" "$dump_to/$name.dump"
    echo "dumped: $name ($((SECONDS - t0)) s)"
  elif [ "$update" = 1 ]; then
    cp "$case_dir/$name.dump" "$expected"
    echo "updated: $name ($(wc -c <"$expected") bytes, $((SECONDS - t0)) s)"
  elif [ ! -f "$expected" ]; then
    echo "FAIL: $name: no $expected (run.sh --update writes it)" >&2
    failures=$((failures + 1))
  elif cmp -s "$expected" "$case_dir/$name.dump"; then
    echo "ok: $name ($(grep -c '' "$expected") lines identical, $((SECONDS - t0)) s)"
  else
    echo "FAIL: $name: the dump differs from expected/$name.dump (first 100 lines of the diff):" >&2
    diff -u "$expected" "$case_dir/$name.dump" --label "expected/$name.dump" --label "now/$name.dump" | head -100 >&2 || true
    failures=$((failures + 1))
  fi
done
echo "golden: $((SECONDS - started)) s"
if [ "$failures" -gt 0 ]; then echo "$failures failure(s)" >&2; exit 1; fi
echo "all passed"
