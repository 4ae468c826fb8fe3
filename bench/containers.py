"""Streaming containers at scale: a 1 GB synthetic mailbox and a 1 GB synthetic web archive,
indexed with peak memory measured, plus the extraction speed of every container format on the
fixtures' mix.

    python3 bench/containers.py          # after cargo build --release; writes the table to
                                         # stdout and bench/RESULTS-containers.md

Settings (environment): BENCH_CONTAINER_MB (size of each synthetic file, default 1024),
BENCH_WORK (default target/bench). The synthetic files are made here, from a seeded generator
(words drawn from a fixed vocabulary), and kept between runs. Peak RSS comes from
/usr/bin/time; the build's own budget is quarry's default writer budget, so the figure to
compare with issue 20's target (≤ 300 MB above the usual budget) is the peak RSS of indexing
the synthetic file minus that of indexing a plain text corpus of the same words and size.
"""
import gzip
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("BENCH_WORK", ROOT / "target" / "bench")).resolve() / "containers"
MB = int(os.environ.get("BENCH_CONTAINER_MB", "1024"))
QUARRY = ROOT / "target" / "release" / "quarry"
SEED = 20261207


def log(msg):
    print(f"containers-bench: {msg}", file=sys.stderr, flush=True)


def words(rng, n):
    vocab = WORDS
    return " ".join(rng.choice(vocab) for _ in range(n))


WORDS = (
    "network accounts campaign posted channel ministry report archive leaked vendor domain proxy "
    "audience broadcast translated subsidy outlet editors mirror review budget forwarded relay "
    "moderators removed harbour ferry lagoon estuary gull tern pelican marina registrar clone "
    "election referendum photo caption slogan forum troll farm bot amplification takedown"
).split()


def make_mbox(path, size):
    rng = random.Random(SEED)
    written, n = 0, 0
    with open(path, "wb") as f:
        while written < size:
            n += 1
            body = "\n\n".join(words(rng, rng.randint(40, 160)) for _ in range(rng.randint(2, 8)))
            msg = (
                f"From sender{n % 97}@example.org Mon Jan  6 10:00:00 2020\n"
                f"From: Sender {n % 97} <sender{n % 97}@example.org>\n"
                f"To: desk@example.org\nSubject: {words(rng, 6)}\n"
                f"Date: Mon, 6 Jan 2020 10:{n % 60:02d}:00 +0000\nMessage-ID: <m{n}@example.org>\n"
                f"Content-Type: text/plain; charset=utf-8\n\n{body}\n\n"
            ).encode()
            f.write(msg)
            written += len(msg)
    return n


def make_warc(path, size):
    rng = random.Random(SEED + 1)
    written, n = 0, 0
    with open(path, "wb") as f:
        while written < size:
            n += 1
            paras = "".join(f"<p>{words(rng, rng.randint(40, 160))}</p>" for _ in range(rng.randint(2, 8)))
            html = f"<html><head><title>{words(rng, 6)}</title></head><body><h1>{words(rng, 5)}</h1>{paras}</body></html>".encode()
            http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(html) + html
            head = (
                f"WARC/1.1\r\nWARC-Type: response\r\nWARC-Date: 2021-04-05T10:{n % 60:02d}:00Z\r\n"
                f"WARC-Target-URI: https://site{n % 53}.example.org/page/{n}\r\n"
                f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n"
            ).encode()
            record = gzip.compress(head + http + b"\r\n\r\n", compresslevel=1, mtime=0)
            f.write(record)
            written += len(head) + len(http)
    return n


def make_text(folder, size):
    """The same words as plain text files: the baseline of indexing memory."""
    rng = random.Random(SEED + 2)
    folder.mkdir(parents=True, exist_ok=True)
    written, n = 0, 0
    while written < size:
        n += 1
        text = "\n\n".join(words(rng, rng.randint(40, 160)) for _ in range(rng.randint(20, 80))).encode()
        sub = folder / f"{n // 1000:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"{n:06d}.txt").write_bytes(text)
        written += len(text)
    return n


def timed_index(src, index):
    """Indexes `src`; returns seconds, peak resident MB (mapped index pages included) and peak
    anonymous MB (sampled from /proc twenty times a second: memory beyond mapped files)."""
    shutil.rmtree(index, ignore_errors=True)
    t = time.time()
    # stderr to a file: warnings of thousands of parts would fill a pipe read only at the end.
    err = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(["/usr/bin/time", "-v", str(QUARRY), "--index", str(index), "-q", "index",
                          "--rebuild", str(src)], stdout=subprocess.DEVNULL, stderr=err, text=True)
    anon = 0
    child = None
    while p.poll() is None:
        if child is None:
            kids = Path(f"/proc/{p.pid}/task/{p.pid}/children")
            ids = kids.read_text().split() if kids.exists() else []
            child = ids[0] if ids else None
        if child:
            try:
                for line in Path(f"/proc/{child}/status").read_text().splitlines():
                    if line.startswith("RssAnon:"):
                        anon = max(anon, int(line.split()[1]) / 1024)
            except OSError:
                pass
        time.sleep(0.05)
    err.seek(0)
    stderr = err.read()
    secs = time.time() - t
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr).group(1)) / 1024
    if p.returncode not in (0, 1):
        raise SystemExit(f"quarry index failed: {stderr[-2000:]}")
    return secs, rss, anon


FIXTURES = ROOT / "tests" / "fixtures" / "containers"
PER_FORMAT = [
    ("mbox (3 messages, PDF attachment)", "leak.mbox"),
    ("eml (HTML, attached message)", "tip.eml"),
    ("zip (nested zip, PDF)", "release.zip"),
    ("tar.gz", "court.tar.gz"),
    ("xlsx (2 sheets)", "takedown.xlsx"),
    ("epub (2 chapters)", "estuary.epub"),
    ("warc.gz (HTML, PDF, text captures)", "crawl-gz/crawl.warc.gz"),
    ("telegram result.json", "telegram/result.json"),
]
COPIES = int(os.environ.get("BENCH_FORMAT_COPIES", "300"))


def per_format():
    """Each fixture copied COPIES times into a folder of its own, indexed: files per second."""
    rows = []
    for name, rel in PER_FORMAT:
        src = WORK / "formats" / rel.replace("/", "_")
        if not src.exists():
            for i in range(COPIES):
                target = src / f"{i:04d}" / Path(rel).name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(FIXTURES / rel, target)
        size = (FIXTURES / rel).stat().st_size * COPIES / 1e6
        secs, rss, _ = timed_index(src, WORK / "index-format")
        rows.append((name, secs, COPIES / secs, size / secs, rss))
        log(f"{name}: {secs:.2f} s")
    return rows


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    size = MB * 1_000_000
    rows = []
    mbox_dir, warc_dir, text_dir = WORK / f"mbox-{MB}", WORK / f"warc-{MB}", WORK / f"text-{MB}"
    if not mbox_dir.exists():
        log("making the mailbox")
        tmp = mbox_dir.with_suffix(".tmp"); tmp.mkdir(parents=True, exist_ok=True)
        make_mbox(tmp / "synthetic.mbox", size); tmp.rename(mbox_dir)
    if not warc_dir.exists():
        log("making the web archive")
        tmp = warc_dir.with_suffix(".tmp"); tmp.mkdir(parents=True, exist_ok=True)
        make_warc(tmp / "synthetic.warc.gz", size); tmp.rename(warc_dir)
    if not text_dir.exists():
        log("making the plain-text baseline")
        tmp = text_dir.with_suffix(".tmp")
        make_text(tmp, size); tmp.rename(text_dir)
    formats = per_format()
    for name, src in [("plain text (baseline)", text_dir), ("mbox", mbox_dir), ("warc.gz", warc_dir)]:
        log(f"indexing {name}")
        secs, rss, anon = timed_index(src, WORK / "index")
        rows.append((name, secs, rss, anon))
        log(f"{name}: {secs:.1f} s, peak RSS {rss:.0f} MB, peak anonymous {anon:.0f} MB")
    base = rows[0][3]
    out = (f"# Containers at scale\n\nRun by `python3 bench/containers.py` on {time.strftime('%Y-%m-%d')}, "
           f"{os.cpu_count()} cores: each source holds {MB} MB of text made of the same words "
           f"(a seeded generator); `quarry index --rebuild` with default settings. Peak RSS from "
           f"/usr/bin/time counts the pages of the index's segments mapped while they are merged, "
           f"which the kernel can drop; peak anonymous memory (RssAnon, sampled twenty times a "
           f"second) is what the process holds.\n\n| source | index s | MB/s | peak RSS MB | "
           f"peak anonymous MB | anonymous above the plain-text baseline MB |\n|---|---|---|---|---|---|\n")
    for name, secs, rss, anon in rows:
        out += f"| {name} | {secs:.1f} | {MB / secs:.1f} | {rss:.0f} | {anon:.0f} | {anon - base:+.0f} |\n"
    out += (f"\nPer format: each fixture of tests/fixtures/containers/ copied {COPIES} times into a "
            f"folder, indexed with `quarry index --rebuild` (PDF parts in worker processes).\n\n"
            f"| fixture | index s | files/s | MB/s | peak RSS MB |\n|---|---|---|---|---|\n")
    for name, secs, fps, mbps, rss in formats:
        out += f"| {name} | {secs:.2f} | {fps:.0f} | {mbps:.2f} | {rss:.0f} |\n"
    print(out)
    (ROOT / "bench" / "RESULTS-containers.md").write_text(out)


if __name__ == "__main__":
    main()
