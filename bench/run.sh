#!/usr/bin/env bash
# quarry against the tools researchers would otherwise use, on this machine, in one run:
# ripgrep and Recoll's recollq (Debian packages), tantivy's Python binding (PyPI, in a private
# virtual environment), and bare tantivy in-process as the lower bound. See bench/harness.py for
# what is measured; the table goes to stdout and bench/RESULTS.md.
#
#   bash bench/run.sh
#
# Settings (environment): BENCH_SYNTH_MB (size of the synthetic corpus, default 1024),
# BENCH_CORPORA (docs,synth), BENCH_THREADS (default: all cores), BENCH_WORK (default
# target/bench; corpora and indexes are kept there between runs), BENCH_RESULTS (default
# bench/RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
work="${BENCH_WORK:-target/bench}"
mkdir -p "$work"

# The peers and tools, from Debian's packages.
missing=()
command -v rg >/dev/null || missing+=(ripgrep)
command -v recollq >/dev/null || missing+=(recollcmd)
[ -x /usr/bin/time ] || missing+=(time)
command -v dpkg-deb >/dev/null || missing+=(dpkg)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    echo "bench: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    $sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# tantivy's Python binding and numpy (for the generator), pinned, in a private environment.
if [ ! -x "$work/venv/bin/python" ]; then
    python3 -m venv "$work/venv"
fi
"$work/venv/bin/pip" install -q --disable-pip-version-check tantivy==0.27.0 numpy==2.3.5

# quarry and the in-process lower bound.
cargo build --release --quiet --bin quarry --example bare_tantivy

BENCH_WORK="$work" "$work/venv/bin/python" bench/harness.py
