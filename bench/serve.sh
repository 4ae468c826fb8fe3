#!/usr/bin/env bash
# Load test of `quarry serve` (see bench/serve.py): installs wrk (Debian) and numpy (for the
# synthetic corpus, in bench/run.sh's private environment), builds quarry, runs the test.
#
#   bash bench/serve.sh                      # bundled corpus and the 1 GB synthetic corpus
#   BENCH_CORPORA=corpus bash bench/serve.sh # the bundled corpus only (seconds, not minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
work="${BENCH_WORK:-target/bench}"
mkdir -p "$work"
if ! command -v wrk >/dev/null; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    echo "bench: installing wrk" >&2
    $sudo apt-get update -qq
    $sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if [ ! -x "$work/venv/bin/python" ]; then
    python3 -m venv "$work/venv"
fi
"$work/venv/bin/pip" install -q --disable-pip-version-check numpy==2.3.5
cargo build --release --quiet --bin quarry
BENCH_WORK="$work" "$work/venv/bin/python" bench/serve.py
