"""The table bench/quality.sh prints: one Markdown row per system and collection, then how far
apart quarry and the best peer are, given the number of topics.

Each collection directory (bench/ir_convert.py's output) holds the results bench/quality.sh
wrote there: `quarry-auto.json` and `quarry-never.json` (`quarry eval --per-query --format
json`, with and without feedback) and `peers.jsonl` (bench/ir_peers.py).

The nDCG@10 column carries the standard error of the mean over topics (sample standard
deviation / sqrt(topics)): differences well inside it are noise. The last lines compare quarry
with the best peer per topic: the mean difference and a two-sided paired randomization test
(20,000 random sign flips, fixed seed, so the output is reproducible).

    python3 bench/ir_table.py DIR [DIR ...]
"""

import json
import math
import random
import sys
from pathlib import Path

FLIPS = 20000


def standard_error(values):
    n = len(values)
    if n < 2:
        return 0.0
    mean = sum(values) / n
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    return math.sqrt(variance / n)


def randomization_p(differences):
    """Two-sided paired randomization test of a zero mean difference."""
    n = len(differences)
    observed = abs(sum(differences)) / n
    rng = random.Random(9)
    hits = 0
    for _ in range(FLIPS):
        total = sum(d if rng.random() < 0.5 else -d for d in differences)
        if abs(total) / n >= observed - 1e-12:
            hits += 1
    return hits / FLIPS


def quarry_row(path, name):
    result = json.loads(path.read_text())
    per_query = {t["id"]: t["values"]["ndcg@10"] for t in result["per_topic"]}
    return {"peer": name, **result["means"], "per_query_ndcg@10": per_query}


def main():
    rows = []
    comparisons = []
    for arg in sys.argv[1:]:
        root = Path(arg)
        collection = root.name
        systems = [
            quarry_row(root / "quarry-auto.json", "**quarry** (words: the default without vectors)"),
            quarry_row(root / "quarry-never.json", "quarry `--mode bm25 --feedback never`"),
        ]
        if (root / "quarry-hybrid.json").exists():
            systems.append(quarry_row(root / "quarry-hybrid.json",
                                      "**quarry hybrid** (the default with vectors)"))
        peers = [json.loads(line) for line in (root / "peers.jsonl").read_text().splitlines()]
        for s in systems + peers:
            se = standard_error(list(s["per_query_ndcg@10"].values()))
            rows.append(
                "| %s | %s | %.4f ± %.3f | %.4f | %.4f |"
                % (collection, s["peer"], s["ndcg@10"], se, s["map"], s["recall@100"])
            )
        best = max(peers, key=lambda p: p["ndcg@10"])
        theirs = best["per_query_ndcg@10"]
        for system in [systems[0]] + systems[2:]:
            ours = system["per_query_ndcg@10"]
            common = sorted(set(ours) & set(theirs))
            differences = [ours[q] - theirs[q] for q in common]
            if differences:
                comparisons.append(
                    "%s: %s - %s = %+.4f nDCG@10 over %d topics (paired randomization p = %.3f)"
                    % (
                        collection,
                        system["peer"].split(" (")[0].replace("*", ""),
                        best["peer"],
                        sum(differences) / len(differences),
                        len(differences),
                        randomization_p(differences),
                    )
                )
    print("| collection | system | nDCG@10 ± s.e. | MAP | recall@100 |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("\n".join(comparisons))


if __name__ == "__main__":
    main()
