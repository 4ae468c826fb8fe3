#!/usr/bin/env bash
# Ranking quality on the classic test collections in ../shared/data/ir (Cranfield, CISI):
# converts them (bench/ir_convert.py), indexes each with quarry, runs `quarry eval`, and prints
# quarry's nDCG@10 beside the peers measured for issue 9. Skips with a reason without ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="../shared/data/ir"
if [ ! -d "$shared/cranfield" ] || [ ! -d "$shared/cisi" ]; then
    echo "bench/quality.sh: skipped: $shared (Cranfield, CISI) is not here" >&2
    exit 0
fi
work="${BENCH_WORK:-target/bench}/ir"
cargo build --release --quiet --bin quarry
q=target/release/quarry
echo "| collection | quarry nDCG@10 | map | recall@100 | bare tantivy | SQLite FTS5 | bm25s | Lucene | Recoll |"
echo "|---|---|---|---|---|---|---|---|---|"
for c in cranfield cisi; do
    rm -rf "$work/$c"
    python3 bench/ir_convert.py "$c" "$shared/$c" "$work/$c"
    "$q" --index "$work/$c/index" -q index "$work/$c/docs" 2>/dev/null || true
    m=$("$q" --index "$work/$c/index" eval --format json --topics "$work/$c/topics.tsv" --qrels "$work/$c/qrels.txt")
    read -r ndcg map rec < <(python3 -c 'import json,sys; m=json.load(sys.stdin)["means"]; print("%.3f %.3f %.3f" % (m["ndcg@10"], m["map"], m["recall@100"]))' <<< "$m")
    if [ "$c" = cranfield ]; then peers="0.384 | 0.385 | 0.389 | 0.365 | 0.348"; else peers="0.311 | 0.377 | 0.396 | 0.369 | 0.331"; fi
    echo "| $c | $ndcg | $map | $rec | $peers |"
done
