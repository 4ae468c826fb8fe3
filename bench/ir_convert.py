"""Converts the SMART-format test collections in ../shared/data/ir (Cranfield, CISI) into one
text file per document (title and abstract), topics as TSV (`id<TAB>query`) and binary TREC
qrels, for `quarry eval`.

    python3 bench/ir_convert.py cranfield|cisi SOURCE_DIR OUT_DIR

Cranfield's qrels number the queries 1..225 in file order (the query file's own numbers skip),
and grade relevance 1 (complete answer) to 4 (minimum interest), -1 for judged not relevant:
grades 1-4 become relevant (1), the rest 0. CISI's qrels list relevant pairs only.
"""

import re
import sys
from pathlib import Path


def smart_records(text):
    """Yields (id, {field: text}) from a SMART file (.I id, then .T/.A/.B/.W/.X sections)."""
    for chunk in re.split(r"^\.I\s+", text, flags=re.M)[1:]:
        lines = chunk.splitlines()
        rid = lines[0].strip()
        fields, current = {}, None
        for line in lines[1:]:
            m = re.match(r"^\.([A-Z])\s*$", line)
            if m:
                current = m.group(1)
                fields.setdefault(current, [])
            elif current:
                fields[current].append(line)
        yield rid, {k: " ".join(" ".join(v).split()) for k, v in fields.items()}


def main():
    name, src, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    docs_dir = out / "docs"
    docs_dir.mkdir(parents=True, exist_ok=True)
    if name == "cranfield":
        all_file, qry_file, rel_file = "cran.all.1400", "cran.qry", "cranqrel"
    elif name == "cisi":
        all_file, qry_file, rel_file = "CISI.ALL", "CISI.QRY", "CISI.REL"
    else:
        raise SystemExit(f"unknown collection {name}")
    text = (src / all_file).read_text(encoding="latin-1")
    n = 0
    for rid, f in smart_records(text):
        body = "\n\n".join(x for x in (f.get("T", ""), f.get("W", "")) if x)
        (docs_dir / f"{int(rid)}.txt").write_text(body + "\n")
        n += 1
    queries = list(smart_records((src / qry_file).read_text(encoding="latin-1")))
    with open(out / "topics.tsv", "w") as t:
        for pos, (rid, f) in enumerate(queries, start=1):
            qid = pos if name == "cranfield" else int(rid)
            query = " ".join((f.get("T", "") + " " + f.get("W", "")).split())
            if query:
                t.write(f"{qid}\t{query}\n")
    with open(out / "qrels.txt", "w") as q:
        for line in (src / rel_file).read_text().splitlines():
            parts = line.split()
            if len(parts) < 3:
                continue
            qid, doc = int(parts[0]), int(parts[1])
            if name == "cranfield":
                grade = 1 if 1 <= int(parts[2]) <= 4 else 0
            else:
                grade = 1
            q.write(f"{qid} 0 {doc} {grade}\n")
    print(f"{name}: {n} documents, {len(queries)} queries", file=sys.stderr)


if __name__ == "__main__":
    main()
