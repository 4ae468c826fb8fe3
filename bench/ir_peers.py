"""The peers of bench/quality.sh on a collection converted by bench/ir_convert.py, each given
exactly the same documents (one per file), plain-word queries and judgements as quarry:

- bare tantivy: the Python binding (0.27), default tokenizer, BM25 k1 1.2 b 0.75, every word an
  alternative;
- SQLite FTS5: default unicode61 tokenizer, bm25() ranking, words joined by OR;
- bm25s: English stop words and the Snowball stemmer (PyStemmer), BM25 "lucene" k1 1.5 b 0.75.

Prints one JSON object per peer: {"peer", "ndcg@10", "map", "recall@100", "per_query_ndcg@10"}
(the last maps each topic id to its nDCG@10), computed like `quarry eval` with binary relevance.

    python bench/ir_peers.py CONVERTED_DIR
"""

import json
import math
import re
import sqlite3
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

DEPTH = 1000


def load(root):
    docs = [(f.stem, f.read_text()) for f in sorted((root / "docs").iterdir())]
    qrels = defaultdict(set)
    for line in (root / "qrels.txt").read_text().splitlines():
        qid, _, doc, grade = line.split()
        if int(grade) > 0:
            qrels[qid].add(doc)
    topics = []
    for line in (root / "topics.tsv").read_text().splitlines():
        qid, text = line.split("\t", 1)
        if qrels.get(qid):
            topics.append((qid, re.findall(r"\w+", text)))
    return docs, topics, qrels


def measure(name, topics, qrels, rank):
    sums = defaultdict(float)
    per_query = {}
    for qid, words in topics:
        relevant = qrels[qid]
        ranked = rank(words) if words else []
        dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in relevant)
        idcg = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
        found, ap = 0, 0.0
        for i, d in enumerate(ranked):
            if d in relevant:
                found += 1
                ap += found / (i + 1)
        per_query[qid] = dcg / idcg
        sums["ndcg@10"] += dcg / idcg
        sums["map"] += ap / len(relevant)
        sums["recall@100"] += len(relevant & set(ranked[:100])) / len(relevant)
    out = {"peer": name}
    out.update({k: round(v / len(topics), 4) for k, v in sums.items()})
    out["per_query_ndcg@10"] = per_query
    print(json.dumps(out), flush=True)


def tantivy_peer(docs, topics, qrels, tmp):
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("body", stored=False)
    index = tantivy.Index(builder.build(), path=tmp)
    writer = index.writer(heap_size=100_000_000, num_threads=1)
    for doc_id, text in docs:
        writer.add_document(tantivy.Document(id=doc_id, body=text))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()

    def rank(words):
        query = index.parse_query(" ".join(words), ["body"])
        return [searcher.doc(a)["id"][0] for _, a in searcher.search(query, DEPTH).hits]

    measure("bare tantivy", topics, qrels, rank)


def fts5_peer(docs, topics, qrels):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE d USING fts5(id UNINDEXED, body)")
    db.executemany("INSERT INTO d VALUES (?, ?)", docs)

    def rank(words):
        match = " OR ".join(f'"{w}"' for w in words)
        rows = db.execute(
            "SELECT id FROM d WHERE d MATCH ? ORDER BY bm25(d) LIMIT ?", (match, DEPTH)
        )
        return [r[0] for r in rows]

    measure("SQLite FTS5", topics, qrels, rank)


def bm25s_peer(docs, topics, qrels):
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    ids = [d for d, _ in docs]
    retriever = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    retriever.index(
        bm25s.tokenize([t for _, t in docs], stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )

    def rank(words):
        tokens = bm25s.tokenize([" ".join(words)], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            return []
        found, scores = retriever.retrieve(tokens, k=len(ids), show_progress=False)
        return [ids[i] for i, s in zip(found[0], scores[0]) if s > 0][:DEPTH]

    measure("bm25s", topics, qrels, rank)


def main():
    root = Path(sys.argv[1])
    docs, topics, qrels = load(root)
    with tempfile.TemporaryDirectory() as tmp:
        tantivy_peer(docs, topics, qrels, tmp)
    fts5_peer(docs, topics, qrels)
    bm25s_peer(docs, topics, qrels)


if __name__ == "__main__":
    main()
