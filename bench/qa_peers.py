#!/usr/bin/env python3
"""Peers on the passage-QA set: plain BM25 over plain passages of the same files.

Each peer gets the files quarry's QA index holds (../shared/data/docs and corpus/), cut the
plain way: PDFs through `pdftotext` page by page (poppler, as quarry uses it), HTML with its
tags stripped, every other file as its raw text; each page or file into windows of 150 words
that overlap by 50 (so no answer is lost at a cut). Questions are searched as typed (their
words, every word an alternative), 10 hits each, and scored as bench/qa.py scores quarry: a
hit answers when its text holds the question's phrase; a strict answer is also from the
question's file and, for PDFs, its page.

- bare tantivy: the Python binding (0.27), default tokenizer (no stemming, stop words kept),
  BM25 k1 1.2 b 0.75;
- bm25s: English stop words and the Snowball stemmer (PyStemmer), BM25 "lucene" k1 1.5 b 0.75.

Prints one JSON object per peer with the metrics of bench/qa.py. Run from the virtual
environment bench/quality.sh makes (it has both packages):

    target/bench/venv/bin/python bench/qa_peers.py
"""

import html.parser
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qa  # noqa: E402  (paths, answer_ranks, metrics)

WINDOW = 150
STRIDE = 100


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def pages(path):
    """(page or None, text) of one file."""
    if path.endswith(".pdf"):
        done = subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], capture_output=True)
        text = done.stdout.decode("utf-8", "replace")
        return [(i + 1, page) for i, page in enumerate(text.split("\f")) if page.strip()]
    with open(path, encoding="utf-8", errors="replace") as f:
        raw = f.read()
    if path.endswith((".html", ".htm")):
        parser = _Text()
        parser.feed(raw)
        raw = " ".join(parser.parts)
    return [(None, raw)]


def passages(root):
    """Every window of every file: (relative path as the questions name it, page, text)."""
    out = []
    folders = [os.path.join(qa.SHARED, "docs"), os.path.join(root, "corpus")]
    for folder in folders:
        for base, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                if name.startswith(".") or name == "LICENSE":
                    continue
                path = os.path.join(base, name)
                rel = qa.relative(os.path.relpath(path, root))
                for page, text in pages(path):
                    words = text.split()
                    for start in range(0, max(len(words) - WINDOW + STRIDE, 1), STRIDE):
                        chunk = words[start:start + WINDOW]
                        if chunk:
                            out.append((rel, page, " ".join(chunk)))
    return out


def query_words(question):
    return re.findall(r"\w+", question.lower())


def evaluate(name, questions, units, search):
    ranks = [qa.answer_ranks(q, [units[i] for i in search(q["question"])]) for q in questions]
    out = {"peer": name}
    out.update(qa.metrics(ranks))
    return out


def tantivy_peer(questions, units):
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("text", stored=False)
    builder.add_unsigned_field("i", stored=True)
    schema = builder.build()
    with tempfile.TemporaryDirectory() as tmp:
        index = tantivy.Index(schema, path=tmp)
        writer = index.writer()
        for i, (_, _, text) in enumerate(units):
            writer.add_document(tantivy.Document(text=text, i=i))
        writer.commit()
        index.reload()
        searcher = index.searcher()

        def search(question):
            words = query_words(question)
            if not words:
                return []
            query = index.parse_query(" OR ".join(words), ["text"])
            hits = searcher.search(query, 10).hits
            return [searcher.doc(addr)["i"][0] for _, addr in hits]

        return evaluate("bare tantivy", questions, units, search)


def bm25s_peer(questions, units):
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    corpus = bm25s.tokenize([t for _, _, t in units], stopwords="en", stemmer=stemmer,
                            show_progress=False)
    retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    retriever.index(corpus, show_progress=False)

    def search(question):
        tokens = bm25s.tokenize([question], stopwords="en", stemmer=stemmer,
                                show_progress=False)
        if not tokens.vocab:
            return []
        found, _ = retriever.retrieve(tokens, k=10, show_progress=False)
        return [int(i) for i in found[0]]

    return evaluate("bm25s", questions, units, search)


def main():
    if not os.path.isdir(os.path.join(qa.SHARED, "docs")):
        print("bench/qa_peers.py: skipped: ../shared/data/docs is absent", file=sys.stderr)
        return 0
    with open(qa.QUESTIONS, encoding="utf-8") as f:
        questions = [json.loads(line) for line in f if line.strip()]
    units = passages(qa.ROOT)
    print(f"bench/qa_peers.py: {len(units)} windows", file=sys.stderr)
    for peer in (tantivy_peer, bm25s_peer):
        print(json.dumps(peer(questions, units)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
