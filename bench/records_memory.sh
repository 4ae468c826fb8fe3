#!/usr/bin/env bash
# Memory of indexing one large CSV: shows that record files stream (anonymous memory does not
# grow with the file). Generates a synthetic CSV of SIZE_MB megabytes (default 1000) with a
# seeded generator, indexes it with the release binary, and samples the process's anonymous and
# file-backed resident memory every second.
#
#   bash bench/records_memory.sh [SIZE_MB]
#
# Results of a run are appended to bench/RESULTS-records.md with the machine and date.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
python3 - "$size_mb" "$work/big.csv" <<'PY'
import random, sys
size = int(sys.argv[1]) * 1_000_000
r = random.Random(1)
words = ("the of and to in a is that for on with as was by at from this be are or an it which have "
         "campaign network accounts propaganda disinformation platform election ministry embassy troll "
         "bot amplified narrative operation state media coordinated inauthentic posted shared video "
         "forged leak hack channel group page followers influence foreign interference").split()
with open(sys.argv[2], "w") as f:
    f.write("tweet_id,author,content,publish_date,language\n")
    n = i = 0
    while n < size:
        text = " ".join(r.choice(words) for _ in range(r.randint(8, 45)))
        line = f'{i},@user{i % 5000},"{text}",2016-{1 + i % 12:02d}-{1 + i % 28:02d} 12:00:00,English\n'
        f.write(line)
        n += len(line)
        i += 1
PY

./target/release/quarry index -q --index "$work/idx" "$work/big.csv" &
pid=$!
peak_anon=0
peak_file=0
while kill -0 "$pid" 2>/dev/null; do
  if [ -r "/proc/$pid/status" ]; then
    anon=$(awk '/RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    file=$(awk '/RssFile/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${anon:-0}" -gt "$peak_anon" ] && peak_anon=$anon
    [ "${file:-0}" -gt "$peak_file" ] && peak_file=$file
  fi
  sleep 1
done
wait "$pid"
line="| $(date -u +%F) | $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB | ${size_mb} MB CSV | peak anonymous RSS $((peak_anon / 1024)) MB | peak file-backed RSS (mmap'd segments) $((peak_file / 1024)) MB |"
echo "$line"
echo "$line" >> bench/RESULTS-records.md
