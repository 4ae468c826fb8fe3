#!/usr/bin/env python3
"""Passage question answering: does quarry's first page hold the passage that answers?

Scores the questions of bench/qa/questions.jsonl (see bench/qa/README.md) against one index of
../shared/data/docs and the bundled corpus. Each question is searched as a researcher types it
(`quarry search --format json -n 10`, default settings plus any extra arguments), and a hit
answers when its passage text holds the question's phrase (both NFKC, lower case, whitespace
collapsed, quotes and dashes folded, footnote markers `[N]` and line-end hyphenation removed).
A strict answer is also from the question's file and, for PDFs, its page.

Prints, as JSON on one line (and a readable summary on stderr):

    recall@1, recall@5, recall@10, mrr@10, strict_recall@5, strict_mrr@10   (means)
    se_*                                                                    (their standard errors)
    questions, failed (searches that ended in an error)

Usage:
    python3 bench/qa.py [--quarry BIN] [--index DIR] [--config FILE] [--per-query FILE]
                        [--embed] [-- SEARCH ARGS...]

The index (default target/bench/qa/index) is built, or brought up to date, first, with
bench/qa/quarry.toml as its configuration. Exits 0 with
"skipped: ..." on stderr when ../shared/data is absent.
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "data")
QUESTIONS = os.path.join(ROOT, "bench", "qa", "questions.jsonl")
FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                      "\u2014": "-", "\u00ad": None})


def normalise(text):
    text = unicodedata.normalize("NFKC", text).translate(FOLD)
    text = re.sub(r"\[\d{1,4}\]", " ", text)
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)
    return " ".join(text.lower().split())


def relative(path):
    """A hit's path as the questions name files: `docs/...` for shared documents, `corpus/...`."""
    path = path.replace("\\", "/")
    marker = "shared/data/"
    if marker in path:
        return path.split(marker, 1)[1]
    return path[2:] if path.startswith("./") else path


def standard_error(values):
    n = len(values)
    if n < 2:
        return 0.0
    mean = sum(values) / n
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n)


def build(quarry, index, config, embed):
    docs = os.path.relpath(os.path.join(SHARED, "docs"), ROOT)
    cmd = [quarry, "--index", index, "-q", "index", "--config", config, docs, "corpus"]
    if os.path.exists(os.path.join(index, "quarry.json")):
        # Update from the recorded sources; a first build names them.
        cmd = [quarry, "--index", index, "-q", "index", "--config", config]
    if embed:
        cmd.insert(cmd.index("index") + 1, "--embed")
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.exit(f"bench/qa.py: indexing failed:\n{done.stderr}")


def score(quarry, index, question, extra):
    cmd = [quarry, "--index", index, "search", "--format", "json", "-n", "10", *extra, "--",
           question["question"]]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode == 2:
        return None, done.stderr.strip()
    hits = json.loads(done.stdout)["hits"] if done.stdout.strip() else []
    return answer_ranks(question, [(relative(h["path"]), h.get("page"), h["text"]) for h in hits]), None


def answer_ranks(question, hits):
    """The 1-based ranks of the first hit holding the question's phrase and of the first that
    also comes from its file and page (None when there is none); `hits` are (path as the
    questions name files, page, text) in rank order."""
    phrase = normalise(question["phrase"])
    first = strict = None
    for rank, (path, page, text) in enumerate(hits, 1):
        if phrase not in normalise(text):
            continue
        first = first or rank
        right_page = question.get("page") is None or page == question["page"]
        if strict is None and path == question["file"] and right_page:
            strict = rank
    return first, strict


def metrics(ranks):
    """Means and standard errors of R@1/5/10, MRR@10 and the strict R@5 and MRR@10 over
    (rank, strict rank) pairs."""
    within = lambda r, k: 1.0 if r is not None and r <= k else 0.0
    reciprocal = lambda r: 1.0 / r if r is not None and r <= 10 else 0.0
    series = {
        "recall@1": [within(r, 1) for r, _ in ranks],
        "recall@5": [within(r, 5) for r, _ in ranks],
        "recall@10": [within(r, 10) for r, _ in ranks],
        "mrr@10": [reciprocal(r) for r, _ in ranks],
        "strict_recall@5": [within(s, 5) for _, s in ranks],
        "strict_mrr@10": [reciprocal(s) for _, s in ranks],
    }
    out = {k: round(sum(v) / len(v), 4) for k, v in series.items()}
    out.update({f"se_{k}": round(standard_error(v), 4) for k, v in series.items()})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quarry", default=os.path.join(ROOT, "target", "release", "quarry"))
    ap.add_argument("--index", default=os.path.join(ROOT, "target", "bench", "qa", "index"))
    ap.add_argument("--config", default=os.path.join("bench", "qa", "quarry.toml"),
                    help="the corpus configuration to index with")
    ap.add_argument("--per-query", metavar="FILE")
    ap.add_argument("--embed", action="store_true",
                    help="give the index passage vectors first (the model from QUARRY_MODEL)")
    ap.add_argument("extra", nargs="*", help="arguments for quarry search (after --)")
    args = ap.parse_args()
    if not os.path.isdir(os.path.join(SHARED, "docs")):
        print("bench/qa.py: skipped: ../shared/data/docs is absent", file=sys.stderr)
        return 0
    with open(QUESTIONS, encoding="utf-8") as f:
        questions = [json.loads(line) for line in f if line.strip()]
    build(args.quarry, args.index, args.config, args.embed)
    ranks, failed, rows = [], [], []
    for q in questions:
        result, error = score(args.quarry, args.index, q, args.extra)
        if result is None:
            failed.append(f"{q['id']}: {error}")
            result = (None, None)
        ranks.append(result)
        rows.append({"id": q["id"], "rank": result[0], "strict_rank": result[1]})
    out = metrics(ranks)
    out["questions"] = len(questions)
    out["failed"] = len(failed)
    if args.per_query:
        with open(args.per_query, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    for line in failed:
        print(f"bench/qa.py: search failed: {line}", file=sys.stderr)
    print(
        f"passage QA ({len(questions)} questions): R@1 {out['recall@1']:.3f}  R@5 {out['recall@5']:.3f}"
        f"  R@10 {out['recall@10']:.3f}  MRR@10 {out['mrr@10']:.3f}  strict R@5"
        f" {out['strict_recall@5']:.3f}  strict MRR@10 {out['strict_mrr@10']:.3f}",
        file=sys.stderr,
    )
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
