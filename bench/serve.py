"""Load test of `quarry serve`: latency and throughput of the JSON API over HTTP on loopback.

For each corpus (the bundled `corpus/`, and the 1 GB synthetic corpus of bench/harness.py when
BENCH_CORPORA includes synth), it builds a quarry index (kept between runs), starts
`quarry serve --threads 4` on a free loopback port, and has wrk (Debian's package; another
process) send search requests from 4 connections for BENCH_SERVE_SECS seconds (default 20),
rotating through 50 queries made from the corpus's own words (bench/harness.py's mix: rare
terms, pairs of common terms, phrases, 3-5 mid-frequency terms). wrk's Lua `done` hook reports
every request's latency percentiles, the request count and the errors (non-2xx answers, socket
errors, timeouts). The server's memory is read from /proc after the run: VmHWM (peak resident,
mapped index pages included) and RssAnon (resident memory beyond mapped files). Each row runs
BENCH_SERVE_REPEAT times (default 3) and the run of median p50 is reported, with every run's
p50: this machine's speed varies by 10-20% from one minute to the next.

    bash bench/serve.sh          # installs wrk, builds, runs this

Writes a table to stdout and bench/RESULTS-serve.md.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402  (its corpora, queries and paths)

ROOT = harness.ROOT
WORK = harness.WORK / "serve"
QUARRY = harness.QUARRY
SECS = int(os.environ.get("BENCH_SERVE_SECS", "20"))
CORPORA = os.environ.get("BENCH_CORPORA", "corpus,synth").split(",")
REPEAT = max(1, int(os.environ.get("BENCH_SERVE_REPEAT", "3")))


def log(msg):
    print(f"serve-bench: {msg}", file=sys.stderr, flush=True)


def corpus_queries(folder, count=50):
    """50 queries from the words of the bundled corpus (any text file under `folder`)."""
    with tempfile.TemporaryDirectory() as tmp:
        # harness.make_queries reads *.txt files; give it the corpus's text as such.
        for i, f in enumerate(sorted(p for p in Path(folder).rglob("*") if p.is_file())):
            text = re.sub(r"<[^>]+>", " ", f.read_text(errors="replace"))
            (Path(tmp) / f"{i:04d}.txt").write_text(text)
        return harness.make_queries(tmp, count)


def ensure_index(src, index_dir):
    if (index_dir / "quarry.json").exists():
        return
    log(f"indexing {src} into {index_dir}")
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    p = subprocess.run([QUARRY, "--index", index_dir, "-q", "index", "--rebuild", src],
                       capture_output=True, text=True)
    if p.returncode not in (0, 1):
        raise SystemExit(f"quarry index failed: {p.stderr[-2000:]}")


def start_server(index_dir):
    p = subprocess.Popen([QUARRY, "--index", index_dir, "serve", "--bind", "127.0.0.1:0",
                          "--threads", "4"], stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline()
    m = re.search(r"http://([0-9.:]+)/", line)
    if not m:
        p.kill()
        raise SystemExit(f"quarry serve did not start: {line}")
    return p, m.group(1)


LUA = r"""
local paths = {}
for line in io.lines(os.getenv("QUERIES")) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def memory(pid):
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("VmHWM", "RssAnon", "RssFile"):
            fields[k] = int(v.split()[0]) / 1024
    return fields


def load(name, index_dir, queries, connections):
    paths = [f"/api/v1/search?{urllib.parse.urlencode({'q': q, 'limit': 10})}" for q in queries]
    server, addr = start_server(index_dir)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            qfile = Path(tmp) / "paths.txt"
            qfile.write_text("\n".join(paths) + "\n")
            lua = Path(tmp) / "rotate.lua"
            lua.write_text(LUA)
            env = dict(os.environ, QUERIES=str(qfile))
            # Warm the page cache and the open index, as a running server would be.
            subprocess.run(["wrk", "-t1", "-c1", "-d3s", "-s", lua, f"http://{addr}"],
                           env=env, capture_output=True, text=True)
            threads = min(2, connections)
            p = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{SECS}s",
                                "--timeout", "10s",
                                "-s", lua, f"http://{addr}"],
                               env=env, capture_output=True, text=True)
            report = json.loads(p.stdout.strip().splitlines()[-1])
        mem = memory(server.pid)
    finally:
        server.kill()
        server.wait()
    errors = sum(report[k] for k in ("connect", "read", "write", "status", "timeout"))
    row = {
        "corpus": name,
        "connections": connections,
        "requests": report["requests"],
        "errors": errors,
        "rps": report["requests"] / report["seconds"],
        "p50_ms": report["p50_us"] / 1000,
        "p90_ms": report["p90_us"] / 1000,
        "p99_ms": report["p99_us"] / 1000,
        "max_ms": report["max_us"] / 1000,
        "rss_anon_mb": mem.get("RssAnon", 0),
        "hwm_mb": mem.get("VmHWM", 0),
    }
    log(json.dumps(row))
    log(json.dumps(report))
    return row


def repeated(name, index_dir, queries, connections):
    """The run of median p50 among REPEAT runs (this machine's speed varies by 10-20% from one
    minute to the next), with every run's p50."""
    runs = [load(name, index_dir, queries, connections) for _ in range(REPEAT)]
    runs.sort(key=lambda r: r["p50_ms"])
    row = dict(runs[len(runs) // 2])
    row["p50_runs"] = [r["p50_ms"] for r in runs]
    return row


def main():
    rows = []
    if "corpus" in CORPORA:
        index = WORK / "corpus-index"
        ensure_index(ROOT / "corpus", index)
        queries = corpus_queries(ROOT / "corpus")
        for connections in (4, 1):
            rows.append(repeated("bundled corpus", index, queries, connections))
    if "synth" in CORPORA:
        synth = harness.build_synth_corpus()
        index = WORK / f"synth-{harness.SYNTH_MB}mb-index"
        ensure_index(synth, index)
        queries = harness.make_queries(synth)
        for connections in (4, 1):
            rows.append(repeated(f"synth {harness.SYNTH_MB} MB", index, queries, connections))
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                  if l.startswith("model name")), "?")
    version = subprocess.run([QUARRY, "--version"], capture_output=True, text=True).stdout.strip()
    cpu = f"{os.cpu_count()} cores ({model}), {version}"
    header = (
        f"# quarry serve under load\n\nRun by `bash bench/serve.sh` on {time.strftime('%Y-%m-%d')}: "
        f"{cpu}. `quarry serve --threads 4`; wrk (another process, 2 threads) keeps 4 connections "
        f"busy (then 1, to show a request's own time without queueing) for {SECS} s each after a "
        f"3 s warm-up, rotating through 50 queries per corpus "
        f"(`/api/v1/search?q=...&limit=10`: top 10 with snippets, as JSON). Each row is the run of "
        f"median p50 among {REPEAT} runs, whose p50s the last column lists (this machine's speed "
        f"varies by 10-20% between runs). Latency is per request, "
        f"over HTTP on loopback. Memory is the server's, read from /proc after the run: RssAnon "
        f"is resident memory beyond mapped files (the index's pages are mapped), VmHWM the peak "
        f"resident set with mapped pages.\n\n"
    )
    table = ("| corpus | connections | requests | errors | requests/s | p50 ms | p90 ms | p99 ms | max ms "
             "| RssAnon MB | VmHWM MB | p50 of each run |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    for r in rows:
        table += (f"| {r['corpus']} | {r['connections']} | {r['requests']} | {r['errors']} | {r['rps']:.0f} | "
                  f"{r['p50_ms']:.2f} | {r['p90_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} | "
                  f"{r['rss_anon_mb']:.0f} | {r['hwm_mb']:.0f} | "
                  f"{', '.join(f'{p:.2f}' for p in r['p50_runs'])} |\n")
    print(header + table)
    (ROOT / "bench" / "RESULTS-serve.md").write_text(header + table)


if __name__ == "__main__":
    main()
