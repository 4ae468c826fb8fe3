#!/usr/bin/env bash
# Runs quarry's fuzz targets, each for a bounded time, with a corpus seeded from the test
# fixtures; prints one line per target and exits 1 when any target found a crash, a hang or a
# leak of memory past the limit (the input is kept under fuzz/artifacts/TARGET/).
#
#     bash fuzz/run.sh                 # every target, 60 s each
#     bash fuzz/run.sh 600 html pdf    # these targets, 10 minutes each
#
# Needs a nightly toolchain and cargo-fuzz (installed here when missing). Not run by CI: the
# sanitizer build alone takes minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
all=(query passages text markdown html pdf pdftotext_xhtml docx odt csv tsv jsonl json)
targets=("${@:-${all[@]}}")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

fixtures=../tests/fixtures
seed() { # seed TARGET FIND-ARGS...: copy matching fixture files into the target's corpus
  local target=$1
  shift
  mkdir -p "corpus/$target"
  find "$fixtures" -type f "$@" -size -2M -exec cp -n {} "corpus/$target/" \; 2>/dev/null || true
}
for t in "${targets[@]}"; do
  case $t in
    text) seed text -name '*.txt' ;;
    markdown) seed markdown -name '*.md' ;;
    html) seed html \( -name '*.html' -o -name '*.htm' \) ;;
    pdf) seed pdf -name '*.pdf' ;;
    docx) seed docx -name '*.docx' ;;
    odt) seed odt -name '*.odt' ;;
    csv) seed csv -name '*.csv' ;;
    tsv) seed tsv -name '*.tsv' ;;
    jsonl) seed jsonl \( -name '*.jsonl' -o -name '*.ndjson' \) ;;
    json) seed json -name '*.json' ;;
    passages) seed passages \( -name '*.txt' -o -name '*.md' \) ;;
    pdftotext_xhtml)
      mkdir -p corpus/pdftotext_xhtml
      if command -v pdftotext >/dev/null; then
        for f in $(find "$fixtures" -name '*.pdf'); do
          pdftotext -q -bbox-layout "$f" "corpus/pdftotext_xhtml/$(basename "$f").html" || true
        done
      fi ;;
    query)
      mkdir -p corpus/query
      i=0
      # The golden suite's queries and the examples of docs/query.md.
      { grep -h '^query = ' ../tests/golden/queries.toml | sed 's/^query = "\(.*\)"$/\1/'
        grep -ho 'quarry search [^#]*' ../docs/query.md ../README.md | sed "s/^quarry search //; s/^'\(.*\)'.*/\1/"
      } | while IFS= read -r q; do
        printf '%s' "$q" > "corpus/query/seed-$i"
        i=$((i + 1))
      done ;;
    *) echo "unknown target $t (targets: ${all[*]})" >&2; exit 2 ;;
  esac
done

echo "== building the fuzz targets (nightly, address sanitizer)"
cargo +nightly fuzz build -O 2>&1 | tail -n 3

mkdir -p logs
failed=0
printf '%-16s %-8s %10s %8s  %s\n' target result runs corpus note
for t in "${targets[@]}"; do
  log=logs/$t.log
  if cargo +nightly fuzz run -O "$t" "corpus/$t" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
      -print_final_stats=1 >"$log" 2>&1; then
    result=ok
    note=
  else
    result=FOUND
    failed=1
    note=$(grep -m1 -E 'ERROR: libFuzzer|panicked at|SUMMARY' "$log" || true)
    note="$note; input: $(grep -m1 -o 'artifacts/[^ ]*' "$log" || echo '?')"
  fi
  runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  files=$(find "corpus/$t" -type f | wc -l)
  printf '%-16s %-8s %10s %8s  %s\n' "$t" "$result" "$runs" "$files" "$note"
done
exit $failed
