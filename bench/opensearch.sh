#!/usr/bin/env bash
# quarry and an OpenSearch cluster (issue 23): export throughput and query latency through a
# real two-node OpenSearch 2.19 cluster (tests/opensearch/, 512 MB heap a node, on this one
# machine), with the cluster's own figures beside quarry's.
#
#   cargo build --release && bash bench/opensearch.sh
#
# Corpora: the bundled corpus, and ../shared/data/docs when it is here. For each: index it,
# export it (2 shards, 1 replica; passages a second from the export's own summary), export it
# again (nothing changed), then run the first 50 queries of tests/golden/queries.toml through
# the local index and through the cluster (`quarry search -n 10 --format json`, the whole
# command timed: process start, HTTP and output included), and read the cluster's own search
# time (`_nodes/stats`: query time per shard query). Writes bench/RESULTS-opensearch.md.
set -euo pipefail
cd "$(dirname "$0")/.."
QUARRY=${QUARRY:-target/release/quarry}
[ -x "$QUARRY" ] || { echo "bench/opensearch.sh: build first: cargo build --release" >&2; exit 2; }
WORK=$(mktemp -d)
export QUARRY_OPENSEARCH_HOME=$WORK/nodes
cleanup() { bash tests/opensearch/node.sh stop || true; rm -rf "$WORK"; }
trap cleanup EXIT

HTTP1=${BENCH_OS_PORT:-19410}
HTTP2=$((HTTP1 + 1)); T1=$((HTTP1 + 100)); T2=$((HTTP1 + 101))
SEEDS=127.0.0.1:$T1,127.0.0.1:$T2
bash tests/opensearch/node.sh start node-1 "$HTTP1" "$T1" "$SEEDS" node-1 >/dev/null
bash tests/opensearch/node.sh start node-2 "$HTTP2" "$T2" "$SEEDS" node-1 >/dev/null
URL=http://127.0.0.1:$HTTP1
for _ in $(seq 1 60); do
  [ "$(curl -s "$URL/_cluster/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["number_of_nodes"])')" = 2 ] && break
  sleep 1
done

python3 - "$WORK/queries.txt" <<'PY'
import sys, tomllib
with open("tests/golden/queries.toml", "rb") as f:
    suite = tomllib.load(f)
with open(sys.argv[1], "w") as out:
    for q in suite["query"][:50]:
        out.write(q["query"] + "\n")
PY

corpora=("bundled:corpus")
if [ -d ../shared/data/docs ]; then
  corpora+=("docs:../shared/data/docs")
else
  echo "bench/opensearch.sh: ../shared/data/docs is not here; the bundled corpus only" >&2
fi

stats() { curl -s "$URL/_nodes/stats/indices/search" | python3 -c '
import json, sys
n = json.load(sys.stdin)["nodes"].values()
print(sum(x["indices"]["search"]["query_total"] for x in n), sum(x["indices"]["search"]["query_time_in_millis"] for x in n))'; }

RESULTS=$WORK/results.md
{
  echo "| corpus | passages | export (s) | passages/s | again, unchanged (s) | local p50 / p95 (ms) | cluster p50 / p95 (ms) | cluster's own query time per shard query (ms) | same best document |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} > "$RESULTS"
for entry in "${corpora[@]}"; do
  name=${entry%%:*}; dir=${entry#*:}
  index=$WORK/$name.quarry
  "$QUARRY" --quiet --index "$index" index "$dir" >/dev/null 2>&1 || true
  first=$("$QUARRY" --index "$index" export --opensearch "$URL" --index-name "bench-$name" --shards 2 --replicas 1 --format json)
  again=$("$QUARRY" --index "$index" export --opensearch "$URL" --index-name "bench-$name" --format json)
  curl -s "$URL/_cluster/health/bench-$name?wait_for_status=green&timeout=60s" >/dev/null
  before=$(stats)
  python3 - "$QUARRY" "$index" "$URL" "bench-$name" "$WORK/queries.txt" "$first" "$again" "$before" "$name" >> "$RESULTS" <<'PY'
import json, subprocess, sys, time, urllib.request
quarry, index, url, name, queries, first, again, before, corpus = sys.argv[1:10]
first, again = json.loads(first), json.loads(again)
CONTRACT = None
def run(extra):
    global CONTRACT
    times, best = [], []
    for q in open(queries, encoding="utf-8").read().splitlines():
        start = time.perf_counter()
        out = subprocess.run([quarry, "--index", index, "search", "-n", "10", "--format", "json", *extra, q],
                             capture_output=True, text=True)
        times.append((time.perf_counter() - start) * 1000)
        answer = json.loads(out.stdout) if out.stdout.strip() else {"hits": []}
        hits = answer.get("hits", [])
        best.append(hits[0]["doc_id"] if hits else None)
        keys = (tuple(sorted(answer)), tuple(sorted(hits[0])) if hits else ())
        CONTRACT = keys if CONTRACT is None else CONTRACT
        assert keys == CONTRACT or not hits, f"fields differ: {keys} / {CONTRACT}"
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.95) - 1], best
local = run([])
remote = run(["--engine", "opensearch", "--opensearch", url, "--index-name", name])
same = sum(1 for a, b in zip(local[2], remote[2]) if a == b)
stats = json.load(urllib.request.urlopen(url + "/_nodes/stats/indices/search"))["nodes"].values()
total = sum(x["indices"]["search"]["query_total"] for x in stats)
millis = sum(x["indices"]["search"]["query_time_in_millis"] for x in stats)
b_total, b_millis = map(int, before.split())
per = (millis - b_millis) / max(1, total - b_total)
n = first["passages_sent"]
print(f"| {corpus} | {n} | {first['seconds']:.1f} | {n / first['seconds']:.0f} | {again['seconds']:.2f} "
      f"| {local[0]:.0f} / {local[1]:.0f} | {remote[0]:.0f} / {remote[1]:.0f} | {per:.1f} | {same} of {len(local[2])} |")
PY
done

{
  echo "# quarry and an OpenSearch cluster"
  echo
  echo "\`bash bench/opensearch.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores; a two-node OpenSearch 2.19.6 cluster"
  echo "(tests/opensearch/, 512 MB heap a node) on the same machine; indexes of 2 shards with 1 replica."
  echo "Latencies are of the whole \`quarry search -n 10 --format json\` command (process start, HTTP,"
  echo "output) over the first 50 golden queries; the cluster's own figure is its query phase per shard"
  echo "query, from \`_nodes/stats\`. \"Same best document\": queries whose first hit is of the same"
  echo "document through both engines; every answer has the same JSON fields (checked)."
  echo
  cat "$RESULTS"
} > bench/RESULTS-opensearch.md
cat bench/RESULTS-opensearch.md
