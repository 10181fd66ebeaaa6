"""Rebuild rerankkit/evaluation/data: the kit's English-and-more case sets in standard files, BM25 top 20.

Queries, passages and grades come from the case sets keyword_traps, product_search and workplace_qa
(passages pooled into one corpus); two extra queries have no judgement, so reports show how such
queries are counted. Run: python scripts/build_evaluation_fixture.py
"""

from __future__ import annotations

import shutil
from dataclasses import replace

from rerankkit.evaluation.datasets import FIXTURE_DIR, first_stage_run, from_cases, save

SETS = ("keyword_traps", "product_search", "workplace_qa")
UNJUDGED = {"unjudged-1": "How long does it take to boil an egg?",
            "unjudged-2": "Which laptop has the longest battery life?"}


def main() -> None:
    parts = [from_cases(name) for name in SETS]
    queries, docs, qrels = {}, {}, {}
    for part in parts:
        clash = set(part.queries) & set(queries)
        if clash:
            raise SystemExit(f"query ids clash between case sets: {sorted(clash)[:3]}")
        queries.update(part.queries)
        docs.update(part.docs)
        qrels.update(part.qrels)
    queries.update(UNJUDGED)
    data = replace(parts[0], name="rerankkit fixture", queries=queries, docs=docs, qrels=qrels)
    data = data.with_run(first_stage_run(data, k=20), "bm25")
    shutil.rmtree(FIXTURE_DIR, ignore_errors=True)
    save(data, FIXTURE_DIR)
    print(f"{len(queries)} queries, {len(docs)} documents, {sum(len(v) for v in data.run.values())} run rows "
          f"-> {FIXTURE_DIR}")


if __name__ == "__main__":
    main()
