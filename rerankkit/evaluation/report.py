"""Base -> Reranked: metrics with ``ir-measures``, per-query deltas, paired tests and the queries that got worse.

The measures are trec_eval's, through ``ir-measures``: nDCG@10, MRR@10 (``RR@10``), Recall@N and MAP
(``AP``), where N is the reranking depth, with every grade >= 1 relevant. Both stages are scored on the
same top N documents, so Recall@N is the same for both: it is the ceiling reranking can reach.
Judged queries that a run does not rank score 0 (trec_eval's ``-c``); queries without judgements are
left out (and counted in :class:`~rerankkit.evaluation.datasets.DataStats`).

Example:
    >>> qrels = {"q1": {"a": 1}, "q2": {"b": 1}}
    >>> base = {"q1": {"x": 2.0, "a": 1.0}, "q2": {"b": 2.0, "y": 1.0}}
    >>> reranked = {"q1": {"a": 5.0, "x": 1.0}, "q2": {"y": 3.0, "b": 1.0}}
    >>> per_query = compare_runs(qrels, base, reranked, top_n=2)
    >>> per_query.loc[per_query.metric == "MRR@10", "delta"].tolist()
    [0.5, -0.5]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rerankkit._utils.checks import check_positive_int
from rerankkit._utils.optional import require

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.evaluation.datasets import DataStats
    from rerankkit.evaluation.runner import ScoringStats

__all__ = ["EvaluationReport", "compare_runs", "measures", "significance", "summary_table", "worse_queries"]

STAGES = ("Base", "Reranked")


def measures(top_n: int) -> dict[str, Any]:
    """The ir-measures objects by display name: ``nDCG@10, MRR@10, Recall@<top_n>, MAP``."""
    ir_measures = require("ir_measures", feature="Evaluation metrics")
    check_positive_int(top_n, "top_n")
    return {"nDCG@10": ir_measures.nDCG @ 10, "MRR@10": ir_measures.RR(rel=1) @ 10,
            f"Recall@{top_n}": ir_measures.R(rel=1) @ top_n, "MAP": ir_measures.AP(rel=1)}


def _per_query(qrels: Mapping[str, Mapping[str, int]], run: Mapping[str, Mapping[str, float]],
               table: Mapping[str, Any], queries: Sequence[str]) -> dict[tuple[str, str], float]:
    import ir_measures

    clean_qrels = {q: {d: int(g) for d, g in qrels[q].items()} for q in queries}
    clean_run = {q: {d: float(s) for d, s in run[q].items()} for q in queries if run.get(q)}
    by_measure = {m: name for name, m in table.items()}
    values = {(q, name): 0.0 for q in queries for name in table}
    for m in ir_measures.iter_calc(list(table.values()), clean_qrels, clean_run):
        values[(m.query_id, by_measure[m.measure])] = float(m.value)
    return values


def compare_runs(qrels: Mapping[str, Mapping[str, int]], base: Mapping[str, Mapping[str, float]],
                 reranked: Mapping[str, Mapping[str, float]], *, top_n: int,
                 queries: Sequence[str] | None = None) -> pd.DataFrame:
    """Per-query metrics of both runs: ``qid, metric, base, reranked, delta``.

    Args:
        qrels: ``{qid: {docid: grade}}``.
        base: The first-stage run cut to ``top_n``.
        reranked: The reranked run.
        top_n: Reranking depth (for Recall@N).
        queries: The queries to score (default: judged queries of ``base``, plus judged ones it misses).
    """
    import pandas as pd

    table = measures(top_n)
    if queries is None:
        queries = [q for q in dict.fromkeys([*base, *qrels]) if qrels.get(q)]
    queries = [q for q in queries if qrels.get(q)]
    if not queries:
        raise ValueError("no judged query to evaluate: the qrels judge none of the run's queries; check the query "
                         "ids of the qrels and the run")
    b = _per_query(qrels, base, table, queries)
    r = _per_query(qrels, reranked, table, queries)
    rows = [(q, name, b[(q, name)], r[(q, name)], r[(q, name)] - b[(q, name)]) for q in queries for name in table]
    return pd.DataFrame(rows, columns=["qid", "metric", "base", "reranked", "delta"])


def summary_table(per_query: pd.DataFrame, *, base_name: str = "Base") -> pd.DataFrame:
    """Mean of each metric: rows ``Base``, ``Reranked`` and ``Δ``, metric columns in order."""
    import pandas as pd

    order = list(dict.fromkeys(per_query["metric"]))
    means = per_query.groupby("metric", sort=False)[["base", "reranked", "delta"]].mean().loc[order]
    table = pd.DataFrame([means["base"], means["reranked"], means["delta"]],
                         index=[base_name, "Reranked", "Δ (Reranked − Base)"])
    table.columns.name = None
    return table


def significance(per_query: pd.DataFrame) -> pd.DataFrame:
    """Paired tests per metric: t-test and Wilcoxon signed-rank (scipy), with better/worse/tied counts.

    A p-value is NaN where the test is undefined (fewer than 2 queries, or every delta 0).
    """
    import pandas as pd
    from scipy import stats

    rows = []
    for name, group in per_query.groupby("metric", sort=False):
        base, rer = group["base"].to_numpy(), group["reranked"].to_numpy()
        diff = rer - base
        t_stat = t_p = w_stat = w_p = math.nan
        if len(diff) >= 2 and np.any(diff != 0):
            if np.ptp(diff) > 0:
                t_stat, t_p = (float(x) for x in stats.ttest_rel(rer, base))
            w_stat, w_p = (float(x) for x in stats.wilcoxon(rer, base))
        rows.append({"metric": name, "n_queries": len(diff), "mean_delta": float(diff.mean()),
                     "better": int((diff > 0).sum()), "worse": int((diff < 0).sum()), "tied": int((diff == 0).sum()),
                     "t": t_stat, "p_t_test": t_p, "wilcoxon_W": w_stat, "p_wilcoxon": w_p})
    return pd.DataFrame(rows).set_index("metric")


def worse_queries(per_query: pd.DataFrame, queries: Mapping[str, str], *, metric: str = "nDCG@10") -> pd.DataFrame:
    """Queries whose ``metric`` dropped after reranking, worst first: ``qid, query, base, reranked, delta``."""
    rows = per_query[(per_query["metric"] == metric) & (per_query["delta"] < 0)].sort_values("delta", kind="stable")
    out = rows[["qid", "base", "reranked", "delta"]].copy()
    out.insert(1, "query", [queries.get(q, "") for q in out["qid"]])
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class EvaluationReport:
    """Everything ``rerankkit evaluate`` reports.

    Attributes:
        name: The data set.
        base_name: What produced the first-stage run.
        model_label: The reranker (with the random-weights warning when it applies).
        random_weights: Whether the reranker's scores mean nothing.
        top_n: Reranking depth.
        data_stats: Counts of queries, judged and unjudged, and pairs.
        scoring: How scoring went (resumed pairs, pairs/s, forward-pass share).
        table: Base, Reranked and Δ means.
        per_query: Per-query metrics (``qid, metric, base, reranked, delta``).
        tests: Paired significance tests per metric.
        worse: Queries whose nDCG@10 dropped.
        base: The first-stage run cut to the top N.
        reranked: The reranked run (the top N of each query).
        output_note: What the run file written by ``output=`` holds ("" when none was written).
    """

    name: str
    base_name: str
    model_label: str
    random_weights: bool
    top_n: int
    data_stats: DataStats
    scoring: ScoringStats
    table: pd.DataFrame
    per_query: pd.DataFrame
    tests: pd.DataFrame
    worse: pd.DataFrame
    base: dict[str, dict[str, float]]
    reranked: dict[str, dict[str, float]]
    output_note: str = ""

    @property
    def complete(self) -> bool:
        """False when scoring stopped early: the metrics then cover only the queries fully reranked."""
        return self.scoring.complete

    def to_text(self, *, max_worse: int = 10) -> str:
        """The report as plain text (what the command line prints)."""
        import pandas as pd

        from rerankkit.evaluation.datasets import KIT_BM25_NOTE

        lines = [f"Data: {self.name}; first stage: {self.base_name}; reranker: {self.model_label}"]
        if self.base_name.startswith("bm25") and self.name.startswith(("miracl/", "beir/", "nanobeir/")):
            lines.append(KIT_BM25_NOTE)
        if self.random_weights:
            lines.append("NOTE: random weights: the reranked figures exercise the code and mean nothing.")
        lines += self.data_stats.lines()
        s = self.scoring
        lines.append(f"Scored {s.n_scored} pairs in {s.wall_s:.1f} s ({s.pairs_per_s:.1f} pairs/s; forward pass "
                     f"{100 * s.forward_share:.0f}% of the time); {s.n_resumed} resumed from the score file"
                     + (f"; {s.n_truncated} pairs truncated to max_length" if s.n_truncated else ""))
        n_eval = int(self.per_query["qid"].nunique())
        if not self.complete:
            lines.append(f"PARTIAL: scoring stopped; metrics cover the {n_eval} judged queries fully reranked.")
        with pd.option_context("display.width", 160, "display.max_columns", None):
            lines += ["", f"Mean over {n_eval} judged queries (top {self.top_n}):",
                      self.table.to_string(float_format=lambda x: f"{x:.4f}"), "",
                      "Paired tests (Reranked vs Base, per query):",
                      self.tests[["n_queries", "better", "worse", "tied", "p_t_test", "p_wilcoxon"]].to_string(
                          float_format=lambda x: f"{x:.4g}", na_rep="-")]
            if len(self.worse):
                lines += ["", f"Queries whose nDCG@10 dropped ({len(self.worse)}; worst {min(max_worse, len(self.worse))}):",
                          self.worse.head(max_worse).to_string(index=False, float_format=lambda x: f"{x:.3f}",
                                                               max_colwidth=60)]
            else:
                lines += ["", "No query's nDCG@10 dropped."]
        if self.output_note:
            lines += ["", self.output_note]
        return "\n".join(lines)
