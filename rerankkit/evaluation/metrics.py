"""Ranking metrics per query and per stage (on ``ir-measures``), and the rank-shift table.

Metrics are computed by ``ir-measures`` (which runs ``pytrec_eval``, the C port of TREC's
``trec_eval``), so the numbers match what IR papers report:

- **nDCG@k** uses the graded labels as linear gains (0, 1, 2) with a log2 discount, as trec_eval does.
- **MRR@k** is the reciprocal rank of the first passage graded at least ``rel`` (0 if none in the top k).
- **Recall@k** is the share of the query's passages graded at least ``rel`` found in the top k; the
  denominator counts every labelled relevant passage, retrieved or not.

Runs are given as ranked lists of passage ids; they are passed on as scores that reproduce that
order exactly (trec_eval would otherwise break ties by document id).

Example:
    >>> qrels = {"q1": {"a": 2, "b": 0, "c": 1}}
    >>> runs = {"bm25": {"q1": ["b", "c", "a"]}, "rerank": {"q1": ["a", "c", "b"]}}
    >>> table = mean_metrics(per_query_metrics(qrels, runs, ks=(1,)))
    >>> float(table.loc["rerank", "nDCG@1"]), float(table.loc["bm25", "MRR@1"])
    (1.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.cases import Case, Passage
    from rerankkit.retrieval import Candidate
    from rerankkit.scoring.results import Ranking

__all__ = ["qrels_from_cases", "per_query_metrics", "mean_metrics", "judged_at_k", "rank_shift", "METRICS"]

METRICS = ("nDCG", "MRR", "Recall")


def qrels_from_cases(cases: Iterable[Case]) -> dict[str, dict[str, int]]:
    """Graded labels as ``{case id: {passage uid: grade}}``, the form the metrics take."""
    qrels = {}
    for case in cases:
        if case.id in qrels:
            raise ValueError(f"case id {case.id!r} appears twice; metrics need one label set per query")
        qrels[case.id] = case.qrels()
    return qrels


def _measures(ks: Sequence[int], rel: int):
    from rerankkit._utils.optional import require

    ir_measures = require("ir_measures", feature="Ranking metrics")

    if isinstance(ks, int):
        ks = (ks,)
    if not ks or any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in ks):
        raise ValueError(f"ks must be positive ints, got {ks!r}")
    if rel not in (1, 2):
        raise ValueError(f"rel must be 1 (partial counts) or 2 (only full answers count), got {rel!r}")
    table = {}
    for k in ks:
        table[ir_measures.nDCG @ k] = ("nDCG", k)
        table[ir_measures.RR(rel=rel) @ k] = ("MRR", k)
        table[ir_measures.R(rel=rel) @ k] = ("Recall", k)
    return table


def per_query_metrics(
    qrels: Mapping[str, Mapping[str, int]],
    runs: Mapping[str, Mapping[str, Sequence[str]]],
    *,
    ks: Sequence[int] = (1, 3, 10),
    rel: int = 1,
) -> pd.DataFrame:
    """nDCG@k, MRR@k and Recall@k for every query of every stage.

    Args:
        qrels: ``{query id: {passage id: grade 0/1/2}}`` (see :func:`qrels_from_cases`).
        runs: ``{stage name: {query id: passage ids, best first}}``.
        ks: Cut-offs.
        rel: Lowest grade that counts as relevant for MRR and Recall.

    Returns:
        A tidy frame: ``stage, query_id, metric, k, name, value`` (name like ``nDCG@10``). A
        query with labels but no ranked passages in a stage scores 0 there.
    """
    import pandas as pd

    measures = _measures(ks, rel)
    import ir_measures

    if not qrels:
        raise ValueError("qrels is empty: pass the labels of at least one query")
    for query_id, labels in qrels.items():
        if not any(g >= rel for g in labels.values()):
            raise ValueError(f"query {query_id!r} has no passage graded >= {rel}; its metrics would be undefined")
    clean_qrels = {q: {d: int(g) for d, g in labels.items()} for q, labels in qrels.items()}
    rows = []
    for stage, run in runs.items():
        unknown = [q for q in run if q not in qrels]
        if unknown:
            raise ValueError(f"stage {stage!r} ranks queries with no labels: {unknown[:3]}; check the query ids")
        scored = {}
        for q, ids in run.items():
            if len(set(ids)) != len(ids):
                raise ValueError(f"stage {stage!r}, query {q!r}: a passage id appears twice in the ranking")
            scored[q] = {d: float(len(ids) - i) for i, d in enumerate(ids)}
        values = {(m.query_id, m.measure): m.value for m in ir_measures.iter_calc(list(measures), clean_qrels, scored)}
        for q in qrels:
            for measure, (metric, k) in measures.items():
                rows.append((stage, q, metric, k, f"{metric}@{k}", float(values.get((q, measure), 0.0))))
    return pd.DataFrame(rows, columns=["stage", "query_id", "metric", "k", "name", "value"])


def judged_at_k(
    qrels: Mapping[str, Mapping[str, int]],
    run: Mapping[str, Sequence[str]] | Mapping[str, Mapping[str, float]],
    *,
    k: int = 10,
    per_query: bool = False,
) -> float | pd.Series:
    """Judged@k: the share of a run's top ``k`` documents that the qrels grade at all (``ir-measures``' Judged).

    Metrics read an unjudged document as not relevant, so a run that surfaces documents the judges never
    saw (a reranker promoting passages from deep in the first stage) is scored lower than it may deserve:
    low Judged@k means its nDCG and precision are lower bounds, not measurements.

    Args:
        qrels: ``{query id: {doc id: grade}}``; a grade of 0 is a judgement (judged not relevant).
        run: ``{query id: doc ids best first}`` or ``{query id: {doc id: score}}``.
        k: Cut-off.
        per_query: Return one value per judged query instead of the mean.

    Returns:
        The mean over the judged queries (a judged query missing from the run counts 0), or a Series by
        query id.

    Example:
        >>> qrels = {"q1": {"a": 2, "b": 0}, "q2": {"c": 1}}
        >>> judged_at_k(qrels, {"q1": ["a", "x", "b", "y"], "q2": ["c"]}, k=4)
        0.75
    """
    import pandas as pd

    from rerankkit._utils.optional import require

    ir_measures = require("ir_measures", feature="Ranking metrics")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    if not qrels:
        raise ValueError("qrels is empty: pass the judgements of at least one query")
    scored: dict[str, dict[str, float]] = {}
    for q, docs in run.items():
        if isinstance(docs, Mapping):
            scored[q] = {d: float(v) for d, v in docs.items()}
        else:
            ids = list(docs)
            scored[q] = {d: float(len(ids) - i) for i, d in enumerate(ids)}
    clean = {q: {d: int(g) for d, g in labels.items()} for q, labels in qrels.items() if labels}
    measure = ir_measures.Judged @ k
    values = {m.query_id: float(m.value) for m in ir_measures.iter_calc([measure], clean, scored)}
    series = pd.Series({q: values.get(q, 0.0) for q in clean}, name=f"Judged@{k}", dtype=float)
    return series if per_query else float(series.mean())


def mean_metrics(per_query: pd.DataFrame) -> pd.DataFrame:
    """Mean over queries: one row per stage (in input order), one column per metric name."""
    table = per_query.pivot_table(index="stage", columns="name", values="value", aggfunc="mean", sort=False)
    order = sorted(table.columns, key=lambda n: (METRICS.index(n.split("@")[0]), int(n.split("@")[1])))
    table = table[order]
    table.columns.name = None
    return table


def rank_shift(
    candidates: Sequence[Candidate],
    ranking: Ranking,
    passages: Sequence[Passage],
    *,
    qrels: Mapping[str, int] | None = None,
    query_id: str = "",
    first_stage: str = "first stage",
) -> pd.DataFrame:
    """How reranking moved each candidate: first-stage rank, reranked rank and labels.

    Args:
        candidates: First-stage result, best first (``Candidate.index`` points into ``passages``).
        ranking: The reranker's ranking of ``[c.text for c in candidates]``.
        passages: The corpus the first stage searched, as labelled passages.
        qrels: The query's grades by passage uid; passages without one get grade 0 and role
            ``other query``. Default: each passage's own label.
        query_id: Written into every row.
        first_stage: Name of the first stage (``bm25``, ``dense``).

    Returns:
        One row per candidate, in reranked order, with ``shift = first_rank - rerank_rank``
        (positive: the reranker moved it up).
    """
    import pandas as pd

    if len(ranking) != len(candidates):
        raise ValueError(f"the ranking has {len(ranking)} rows but there are {len(candidates)} candidates; "
                         "rerank exactly the candidates' texts, without top_k")
    rows = []
    for row in ranking:
        cand = candidates[row.index]
        p = passages[cand.index]
        if row.text != cand.text or p.text != cand.text:
            raise ValueError(f"ranking row {row.rank} does not match candidate {row.index}: rerank the candidates' "
                             "texts in candidate order")
        judged = qrels is None or p.uid in qrels
        rows.append({
            "query_id": query_id, "passage_id": p.uid or p.id, "text": p.text,
            "relevance": p.relevance if qrels is None else int(qrels.get(p.uid, 0)),
            "role": p.role if judged else "other query", "trap": p.trap if judged else None,
            "first_stage": first_stage, "first_rank": cand.rank, "first_score": cand.score,
            "rerank_rank": row.rank, "rerank_logit": row.logit, "rerank_score": row.score,
            "shift": cand.rank - row.rank,
        })
    return pd.DataFrame(rows)
