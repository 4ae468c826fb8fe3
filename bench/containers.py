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
    shutil.rmtree(index, ignore_errors=True)
    t = time.time()
    p = subprocess.run(["/usr/bin/time", "-v", str(QUARRY), "--index", str(index), "-q", "index",
                        "--rebuild", str(src)], capture_output=True, text=True)
    secs = time.time() - t
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    if p.returncode not in (0, 1):
        raise SystemExit(f"quarry index failed: {p.stderr[-2000:]}")
    return secs, rss


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
    for name, src in [("plain text (baseline)", text_dir), ("mbox", mbox_dir), ("warc.gz", warc_dir)]:
        log(f"indexing {name}")
        secs, rss = timed_index(src, WORK / "index")
        rows.append((name, secs, rss))
        log(f"{name}: {secs:.1f} s, peak RSS {rss:.0f} MB")
    base = rows[0][2]
    out = (f"# Containers at scale\n\nRun by `python3 bench/containers.py` on {time.strftime('%Y-%m-%d')}, "
           f"{os.cpu_count()} cores: each source holds {MB} MB of text made of the same words "
           f"(a seeded generator); `quarry index --rebuild` with default settings; peak RSS from "
           f"/usr/bin/time.\n\n| source | index s | MB/s | peak RSS MB | above the plain-text baseline MB |\n|---|---|---|---|---|\n")
    for name, secs, rss in rows:
        out += f"| {name} | {secs:.1f} | {MB / secs:.1f} | {rss:.0f} | {rss - base:+.0f} |\n"
    print(out)
    (ROOT / "bench" / "RESULTS-containers.md").write_text(out)


if __name__ == "__main__":
    main()
