"""quarry's benchmark against the tools researchers would otherwise use (run by bench/run.sh).

Corpora:
  docs   the HTML documentation of the Debian packages linux-doc-6.12 and python3.11-doc;
         quarry indexes the HTML (extraction included), the peers the text quarry extracted,
         one file per document.
  synth  a plain-text corpus from a seeded generator: words drawn from a Zipf distribution over
         a generated vocabulary, in sentences and paragraphs, one file per document.

Tools, each indexing the same text and answering the same 50 queries as a new process:
  quarry        quarry index / quarry search (top 10 with snippets)
  tantivy-py    tantivy's Python binding (bare text field, default tokenizer)
  recoll        recollindex / recollq
  ripgrep       rg rescanning the corpus for every query
and, in-process against quarry's own index, bare tantivy (TopDocs, no snippets) beside
quarry::search (examples/bare_tantivy.rs): the lower bound and quarry's own overhead.

Prints one table and writes bench/RESULTS.md.
"""

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("BENCH_WORK", ROOT / "target" / "bench")).resolve()
SYNTH_MB = int(os.environ.get("BENCH_SYNTH_MB", "1024"))
CORPORA = os.environ.get("BENCH_CORPORA", "docs,synth").split(",")
THREADS = int(os.environ.get("BENCH_THREADS", str(os.cpu_count() or 2)))
QUARRY = ROOT / "target" / "release" / "quarry"
BARE = ROOT / "target" / "release" / "examples" / "bare_tantivy"
PY = WORK / "venv" / "bin" / "python"
SEED = 20261129


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def run_timed(cmd, **kw):
    """Runs cmd under /usr/bin/time; returns (seconds, peak RSS in MB, completed process)."""
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *map(str, cmd)], capture_output=True,
                       text=True, **kw)
    elapsed = time.perf_counter() - t
    last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "0"
    try:
        rss = int(last) / 1024
    except ValueError:
        rss = float("nan")
    return elapsed, rss, p


def du_mb(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, f))
            except OSError:
                pass
    return total / 1e6


# ---------------------------------------------------------------- corpora

def build_docs_corpus():
    """HTML from the Debian packages; returns (html_dir, text_dir)."""
    base = WORK / "docs"
    html = base / "html"
    if not html.exists():
        debs = base / "debs"
        debs.mkdir(parents=True, exist_ok=True)
        for pkg in ["linux-doc-6.12", "python3.11-doc"]:
            if not list(debs.glob(f"{pkg}_*.deb")):
                log(f"downloading {pkg}")
                subprocess.run(["apt-get", "download", pkg], cwd=debs, check=True,
                               capture_output=True)
        tree = base / "tree"
        for deb in debs.glob("*.deb"):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(tree)], check=True)
        html.mkdir(parents=True)
        n = 0
        for p in sorted(tree.rglob("*.html")):
            if p.is_file() and not p.is_symlink():
                rel = p.relative_to(tree)
                dest = html / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(p, dest)
                n += 1
        shutil.rmtree(tree)
        log(f"docs corpus: {n} HTML files, {du_mb(html):.0f} MB")
    return html


def export_text(index_dir, text_dir):
    """Writes the text quarry extracted, one file per document, for the peers."""
    if text_dir.exists():
        return
    text_dir.mkdir(parents=True)
    manifest = sorted(Path(index_dir).glob("manifest-*.json"))[-1]
    files = json.loads(manifest.read_text())["files"]
    ids = [f["doc_id"] for f in files if f["indexed"]]
    for i, doc_id in enumerate(ids):
        p = subprocess.run([QUARRY, "--index", index_dir, "show", "--format", "json", doc_id],
                           capture_output=True, text=True)
        if p.returncode == 0:
            (text_dir / f"{i:06d}.txt").write_text(json.loads(p.stdout)["text"])
    log(f"exported {len(ids)} documents' text, {du_mb(text_dir):.0f} MB")


def build_synth_corpus():
    """The seeded synthetic corpus; returns its directory."""
    out = WORK / f"synth-{SYNTH_MB}mb"
    if out.exists():
        return out
    import numpy as np
    rng = np.random.default_rng(SEED)
    onsets = ["", "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w",
              "br", "ch", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "st", "str", "th", "tr"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "ie", "io", "ou"]
    codas = ["", "", "n", "r", "s", "t", "l", "m", "nd", "nt", "st", "ck", "ng", "rs"]
    vocab, seen = [], set()
    while len(vocab) < 200_000:
        syllables = 1 + min(int(rng.exponential(1.1)), 4)
        w = "".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
                    for _ in range(syllables))
        if w not in seen:
            seen.add(w)
            vocab.append(w)
    # Shorter words are the frequent ones, as in real text.
    vocab.sort(key=lambda w: (len(w), w))
    vocab = np.array(vocab)
    ranks = np.arange(1, len(vocab) + 1)
    p = 1.0 / ranks ** 1.07
    p /= p.sum()
    tmp = out.with_suffix(".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    target = SYNTH_MB * 1_000_000
    written, n = 0, 0
    while written < target:
        words = vocab[rng.choice(len(vocab), size=int(rng.integers(6_000, 26_000)), p=p)]
        pieces, i = [], 0
        paragraph = []
        while i < len(words):
            k = int(rng.integers(8, 30))
            sent = words[i:i + k]
            i += k
            if len(sent) == 0:
                break
            paragraph.append(sent[0].capitalize() + " " + " ".join(sent[1:]) + ".")
            if len(paragraph) >= int(rng.integers(3, 9)):
                pieces.append(" ".join(paragraph))
                paragraph = []
        if paragraph:
            pieces.append(" ".join(paragraph))
        text = "\n\n".join(pieces) + "\n"
        sub = tmp / f"{n // 1000:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"{n:06d}.txt").write_text(text)
        written += len(text.encode())
        n += 1
    tmp.rename(out)
    log(f"synthetic corpus: {n} files, {written / 1e6:.0f} MB")
    return out


def make_queries(text_dir, count=50):
    """50 queries from the corpus's own words: 10 rare terms, 10 pairs of common terms,
    10 phrases, 20 of 3-5 mid-frequency terms."""
    import random
    r = random.Random(SEED)
    files = sorted(Path(text_dir).rglob("*.txt"))
    sample = r.sample(files, min(len(files), 400))
    df = Counter()
    bigrams = []
    for f in sample:
        words = re.findall(r"[a-z]{3,}", f.read_text(errors="replace").lower())
        df.update(sorted(set(words)))  # sorted: the same queries in every run
        for _ in range(3):
            if len(words) > 2:
                j = r.randrange(len(words) - 1)
                bigrams.append(f"{words[j]} {words[j + 1]}")
    by_freq = [w for w, _ in df.most_common()]
    common = by_freq[:60]
    mid = by_freq[len(by_freq) // 20: len(by_freq) // 4] or by_freq
    rare = [w for w, c in df.items() if c == 1 and len(w) > 5] or by_freq[-50:]
    rare.sort()
    queries = []
    queries += [r.choice(rare) for _ in range(10)]
    queries += [f"{r.choice(common)} {r.choice(common)}" for _ in range(10)]
    queries += [f'"{r.choice(bigrams)}"' for _ in range(10)]
    queries += [" ".join(r.sample(mid, r.randint(3, 5))) for _ in range(20)]
    return queries[:count]


# ---------------------------------------------------------------- tools

def quarry_index(src, index_dir):
    shutil.rmtree(index_dir, ignore_errors=True)
    secs, rss, p = run_timed([QUARRY, "--index", index_dir, "-q", "index", "--threads", THREADS,
                              "--rebuild", src])
    if p.returncode not in (0, 1):
        raise SystemExit(f"quarry index failed: {p.stderr[-2000:]}")
    return secs, rss


def tantivy_py_index(src, index_dir):
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    script = f"""
import tantivy, os, sys
b = tantivy.SchemaBuilder()
b.add_text_field("path", stored=True)
b.add_text_field("body")
schema = b.build()
index = tantivy.Index(schema, path={str(index_dir)!r})
w = index.writer(heap_size=256_000_000, num_threads={THREADS})
for dirpath, _, files in os.walk({str(src)!r}):
    for f in sorted(files):
        p = os.path.join(dirpath, f)
        with open(p, encoding="utf-8", errors="replace") as fh:
            w.add_document(tantivy.Document(path=p, body=fh.read()))
w.commit()
w.wait_merging_threads()
"""
    secs, rss, p = run_timed([PY, "-c", script])
    if p.returncode != 0:
        raise SystemExit(f"tantivy-py index failed: {p.stderr[-2000:]}")
    return secs, rss


def recoll_conf(src, conf):
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "recoll.conf").write_text(
        f"topdirs = {src}\nindexstemminglanguages = english\nidxflushmb = 256\n"
        f"thrQSizes = 2 2 2\nthrTCounts = 1 1 {THREADS}\n")


def recoll_index(src, conf):
    shutil.rmtree(conf, ignore_errors=True)
    recoll_conf(src, conf)
    secs, rss, p = run_timed(["recollindex", "-c", conf, "-z"])
    if p.returncode != 0:
        raise SystemExit(f"recollindex failed: {p.stderr[-2000:]}")
    return secs, rss


def time_queries(make_cmd, queries):
    times, rss = [], []
    for q in queries:
        secs, r, p = run_timed(make_cmd(q))
        times.append(secs * 1000)
        rss.append(r)
    return times, rss


def rg_cmd(src):
    def cmd(q):
        if q.startswith('"'):
            return ["rg", "-l", "-i", "-F", q.strip('"'), src]
        args = ["rg", "-l", "-i", "-w"]
        for w in q.split():
            args += ["-e", w]
        return args + [src]
    return cmd


def p50(v):
    return statistics.median(v)


def p95(v):
    s = sorted(v)
    return s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]


# ---------------------------------------------------------------- main

def bench_corpus(name, quarry_src, text_dir, queries, rows, notes):
    base = WORK / f"run-{name}"
    base.mkdir(parents=True, exist_ok=True)
    text_mb = du_mb(text_dir)
    log(f"[{name}] quarry index ({text_mb:.0f} MB of text)")
    q_idx = base / "quarry-index"
    q_secs, q_rss = quarry_index(quarry_src, q_idx)
    log(f"[{name}] tantivy-py index")
    t_idx = base / "tantivy-py-index"
    t_secs, t_rss = tantivy_py_index(text_dir, t_idx)
    log(f"[{name}] recoll index")
    r_conf = base / "recoll"
    r_secs, r_rss = recoll_index(text_dir, r_conf)
    (base / "queries.txt").write_text("\n".join(queries) + "\n")

    log(f"[{name}] queries")
    # Warm the page cache for every tool alike.
    for d in [q_idx, t_idx, r_conf, text_dir]:
        subprocess.run(["cat"] + [str(p) for p in Path(d).rglob("*") if p.is_file()][:5000],
                       stdout=subprocess.DEVNULL)
    qt, qr = time_queries(lambda q: [QUARRY, "--index", q_idx, "search", "--color", "never",
                                     "--", q], queries)
    tt, tr = time_queries(lambda q: [PY, "-c", (
        "import tantivy,sys; i=tantivy.Index.open(sys.argv[1]); s=i.searcher(); "
        "q=i.parse_query(sys.argv[2], ['body']); "
        "[s.doc(a)['path'] for _, a in s.search(q, 10).hits]"), t_idx, q], queries)
    rt, rr = time_queries(lambda q: ["recollq", "-c", r_conf, "-n", "10", "-q", q], queries)
    gt, gr = time_queries(rg_cmd(text_dir), queries)
    bare = json.loads(subprocess.run([BARE, q_idx, base / "queries.txt", "10"],
                                     capture_output=True, text=True, check=True).stdout)

    def size(d):
        return du_mb(d) / text_mb

    rows.append((name, "quarry", q_secs, text_mb / q_secs, size(q_idx), q_rss,
                 p50(qt), p95(qt), max(qr)))
    rows.append((name, "tantivy-py", t_secs, text_mb / t_secs, size(t_idx), t_rss,
                 p50(tt), p95(tt), max(tr)))
    rows.append((name, "recoll", r_secs, text_mb / r_secs, size(r_conf), r_rss,
                 p50(rt), p95(rt), max(rr)))
    rows.append((name, "ripgrep", 0.0, float("nan"), 0.0, float("nan"),
                 p50(gt), p95(gt), max(gr)))
    bare_ms = [x / 1000 for x in bare["bare_us"]]
    quarry_ms = [x / 1000 for x in bare["quarry_us"]]
    rows.append((name, "bare tantivy (in-process)", float("nan"), float("nan"), float("nan"),
                 float("nan"), p50(bare_ms), p95(bare_ms), float("nan")))
    rows.append((name, "quarry::search (in-process)", float("nan"), float("nan"), float("nan"),
                 float("nan"), p50(quarry_ms), p95(quarry_ms), float("nan")))
    notes.append(
        f"- **{name}**: {text_mb:.0f} MB of text; quarry/tantivy-py index time "
        f"{q_secs / t_secs:.2f}; quarry/recollq query p50 {p50(qt) / p50(rt):.2f}; "
        f"ripgrep/quarry query p50 {p50(gt) / p50(qt):.1f}; quarry::search / bare tantivy "
        f"in-process p50 {p50(quarry_ms) / max(p50(bare_ms), 1e-9):.1f}×.")


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    rows, notes = [], []
    if "docs" in CORPORA:
        html = build_docs_corpus()
        text = WORK / "docs" / "text"
        if not text.exists():
            log("indexing the HTML once to export quarry's extracted text for the peers")
            quarry_index(html, WORK / "docs" / "export-index")
            export_text(WORK / "docs" / "export-index", text)
        bench_corpus("docs", html, text, make_queries(text), rows, notes)
    if "synth" in CORPORA:
        synth = build_synth_corpus()
        bench_corpus(f"synth {SYNTH_MB} MB", synth, synth, make_queries(synth), rows, notes)

    def f(x, fmt):
        return "–" if x != x or x == 0.0 and fmt != "{:.2f}" else fmt.format(x)

    lines = ["| corpus | tool | index s | MB/s | index/text | index peak RSS MB | "
             "query p50 ms | query p95 ms | query peak RSS MB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for (c, tool, secs, mbs, ratio, rss, q50, q95, qrss) in rows:
        lines.append(f"| {c} | {tool} | {f(secs, '{:.1f}')} | {f(mbs, '{:.1f}')} | "
                     f"{f(ratio, '{:.2f}')} | {f(rss, '{:.0f}')} | {q50:.1f} | {q95:.1f} | "
                     f"{f(qrss, '{:.0f}')} |")
    table = "\n".join(lines)
    print(table)
    print("\n".join(notes))
    def proc_value(path, key):
        """The value of the first `key: value` line of a /proc file, or ""."""
        try:
            return next(l.split(":", 1)[1].strip() for l in open(path) if l.startswith(key))
        except (OSError, StopIteration):
            return ""

    cpu = proc_value("/proc/cpuinfo", "model name")
    mem = proc_value("/proc/meminfo", "MemTotal")
    versions = []
    for cmd in [[QUARRY, "--version"], ["rg", "--version"], ["recollq", "-v"],
                [PY, "-c", "import importlib.metadata as m; print('tantivy-py', m.version('tantivy'))"]]:
        p = subprocess.run(list(map(str, cmd)), capture_output=True, text=True)
        out = (p.stdout or p.stderr).strip().splitlines()
        versions.append(out[0] if out else "?")
    header = (f"# Benchmark results\n\nRun by `bash bench/run.sh` on {time.strftime('%Y-%m-%d')}: "
              f"{os.cpu_count()} cores ({cpu}), {mem} of memory, {platform.platform()}; "
              f"{THREADS} indexing threads for every tool. Versions: {'; '.join(versions)}.\n\n"
              "Every query runs as a new process (quarry: top 10 with snippets as text; tantivy-py: "
              "open, parse, top 10 with stored paths; recollq: top 10; ripgrep: files matching, "
              "rescanning the corpus), 50 queries per corpus: 10 rare terms, 10 pairs of common "
              "terms, 10 phrases, 20 of 3–5 terms. The in-process rows run the same queries "
              "against quarry's index: bare tantivy (query parser on the text field, TopDocs of "
              "10, nothing else) and quarry::search (top 10 with snippets, highlights, citations). "
              "Peak RSS from /usr/bin/time. ripgrep has no index.\n\n")
    results = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "RESULTS.md"))
    results.write_text(header + table + "\n\n" + "\n".join(notes) + "\n")
    log(f"wrote {results}")


if __name__ == "__main__":
    main()
