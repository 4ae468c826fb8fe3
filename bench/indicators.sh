#!/usr/bin/env bash
# The indexing cost of indicator extraction (issue 22): indexes the same corpora with two quarry
# binaries, one built before indicators and one after, and prints the seconds of each (the
# median of BENCH_REPEAT runs, 5 by default, the two binaries taking turns) and the difference.
#
#   bash bench/indicators.sh BEFORE_BIN AFTER_BIN
#
# Corpora: a 282 MB part of the synthetic gigabyte (target/bench/synth-1024mb, made by
# bench/run.sh: words without indicators, so the scan's own cost) and the IRA tweets of
# ../shared/data/social (hashtags, handles and links on most rows). Writes
# bench/RESULTS-indicators.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=${1:?give the quarry binary built before indicators}
AFTER=${2:?give the quarry binary built with them}
REPEAT=${BENCH_REPEAT:-5}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

corpora=()
if [ -d target/bench/synth-1024mb/000 ]; then
    mkdir -p "$WORK/synth"
    for d in 000 001 002 003; do cp -al "target/bench/synth-1024mb/$d" "$WORK/synth/"; done
    corpora+=("synth:$WORK/synth")
else
    echo "bench/indicators.sh: no synthetic corpus (run bash bench/run.sh once); skipping it" >&2
fi
if [ -d ../shared/data/social ]; then
    corpora+=("social:../shared/data/social")
else
    echo "bench/indicators.sh: ../shared/data/social is not here; skipping it" >&2
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

seconds() {
    local bin=$1 dir=$2 start end
    rm -rf "$WORK/index"
    start=$(date +%s.%N)
    "$bin" --quiet --index "$WORK/index" index --threads "$(nproc)" "$dir" >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

{
    echo "# Indexing cost of indicators"
    echo
    echo "\`bash bench/indicators.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, median of $REPEAT runs each, taking turns."
    echo
    echo "| corpus | size | before s | with indicators s | change |"
    echo "|---|---|---|---|---|"
} >"$WORK/out.md"
for entry in "${corpora[@]}"; do
    name=${entry%%:*}
    dir=${entry#*:}
    size=$(du -shL "$dir" | cut -f1)
    # Interleaved, so that the machine's drift (10-20% from minute to minute here) falls on
    # both alike.
    : >"$WORK/b" && : >"$WORK/a"
    for _ in $(seq "$REPEAT"); do
        seconds "$BEFORE" "$dir" >>"$WORK/b"
        seconds "$AFTER" "$dir" >>"$WORK/a"
    done
    b=$(median <"$WORK/b")
    a=$(median <"$WORK/a")
    change=$(echo "scale=1; ($a - $b) * 100 / $b" | bc)
    printf '| %s | %s | %.1f | %.1f | %+.1f%% |\n' "$name" "$size" "$b" "$a" "$change" >>"$WORK/out.md"
done
cp "$WORK/out.md" bench/RESULTS-indicators.md
cat bench/RESULTS-indicators.md
