#!/usr/bin/env bash
# OCR throughput and memory: the scanned NSA oversight reports of
# ../shared/data/docs/us_ig_reports/ (no text layer), indexed with 1 thread and with every core,
# each from an empty page cache, then rebuilt from the cache.
#
# Memory per page is measured where it is spent: Tesseract and pdftoppm run through wrappers
# that record each run's peak RSS (GNU time's %M), and quarry's own peak RSS is sampled apart.
# Writes bench/RESULTS-ocr.md.
#
#   bash bench/ocr.sh            (needs the release build, tesseract, pdftoppm and /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."

SCANS=../shared/data/docs/us_ig_reports
QUARRY=target/release/quarry
OUT=bench/RESULTS-ocr.md
for need in tesseract pdftoppm; do
    command -v "$need" >/dev/null || { echo "bench/ocr.sh: $need is not installed (apt-get install tesseract-ocr poppler-utils)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench/ocr.sh: /usr/bin/time is not installed (apt-get install time)" >&2; exit 2; }
ls "$SCANS"/nsa_*.pdf >/dev/null 2>&1 || { echo "bench/ocr.sh: skipped: $SCANS is not here" >&2; exit 0; }
[ -x "$QUARRY" ] || cargo build --release

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/corpus" "$WORK/bin"
cp "$SCANS"/nsa_*.pdf "$WORK/corpus/"
for tool in tesseract pdftoppm; do
    real=$(command -v "$tool")
    cat >"$WORK/bin/$tool" <<EOF
#!/bin/sh
exec /usr/bin/time -f %M -a -o "$WORK/$tool.rss" "$real" "\$@"
EOF
    chmod +x "$WORK/bin/$tool"
done
cores=$(nproc)
pages=0
for f in "$WORK"/corpus/*.pdf; do
    pages=$((pages + $(pdfinfo "$f" | awk '/^Pages:/ {print $2}')))
done

# Runs quarry index with the wrappers and prints: seconds, quarry's peak RSS in MB.
run() {
    local index=$1; shift
    rm -f "$WORK"/*.rss
    local start end
    start=$(date +%s.%N)
    PATH="$WORK/bin:$PATH" QUARRY_TESSERACT="$WORK/bin/tesseract" \
        "$QUARRY" --quiet --index "$index" index "$WORK/corpus" "$@" &
    local pid=$! peak=0 rss
    while kill -0 "$pid" 2>/dev/null; do
        rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        [ "${rss:-0}" -gt "$peak" ] && peak=$rss
        sleep 0.2
    done
    wait "$pid"
    end=$(date +%s.%N)
    printf '%.1f %d\n' "$(echo "$end - $start" | bc)" $((peak / 1024))
}

# Prints the median and the largest of a file of peak RSS values (kB), in MB.
rss_summary() {
    [ -s "$1" ] || { echo "- -"; return; }
    sort -n "$1" | awk '{a[NR]=$1} END {printf "%.0f %.0f\n", a[int((NR+1)/2)]/1024, a[NR]/1024}'
}

{
    echo "# OCR throughput and memory"
    echo
    echo "\`bash bench/ocr.sh\` on $(date -u +%Y-%m-%d), $cores cores, $(tesseract --version 2>&1 | head -1),"
    echo "pdftoppm $(pdftoppm -v 2>&1 | head -1 | awk '{print $3}') at 300 dpi: the $(ls "$WORK"/corpus | wc -l) scanned NSA reports of"
    echo "\`../shared/data/docs/us_ig_reports/\` ($pages pages, no text layer)."
    echo
    echo "| run | seconds | pages/s | pages/s per core | Tesseract RSS MB (median, max) | pdftoppm RSS MB (median, max) | quarry RSS MB |"
    echo "|---|---|---|---|---|---|---|"
} >"$OUT"

for threads in 1 "$cores"; do
    read -r secs qrss < <(run "$WORK/index-$threads" --threads "$threads")
    read -r tmed tmax < <(rss_summary "$WORK/tesseract.rss")
    read -r pmed pmax < <(rss_summary "$WORK/pdftoppm.rss")
    rate=$(printf '%.2f' "$(echo "scale=4; $pages / $secs" | bc)")
    per=$(printf '%.2f' "$(echo "scale=4; $pages / $secs / $threads" | bc)")
    echo "| --threads $threads, empty cache | $secs | $rate | $per | $tmed, $tmax | $pmed, $pmax | $qrss |" >>"$OUT"
done
read -r secs qrss < <(run "$WORK/index-$cores" --threads "$cores" --rebuild)
echo "| --rebuild, every page cached | $secs | - | - | - | - | $qrss |" >>"$OUT"
{
    echo
    echo "quarry's RSS is sampled every 0.2 s (a run shorter than that may show less than its peak);"
    echo "Tesseract's and pdftoppm's are each run's own peak, one run per page."
} >>"$OUT"
cat "$OUT"
