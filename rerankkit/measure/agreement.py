"""How far a candidate reranker's scores (e.g. int8) move from a reference's (e.g. fp32).

:func:`agreement` gives the largest |difference| of raw logits, Kendall's tau between the two
rankings of each group, and how often the top passage is the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from rerankkit.examples import DEFAULT_GROUPS

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.scoring.reranker import Reranker

__all__ = ["Agreement", "agreement"]

@dataclass(frozen=True)
class Agreement:
    """How far a candidate's scores move from a reference's, over query/passage groups.

    Attributes:
        max_abs_diff: Largest |candidate logit - reference logit| over every pair.
        mean_abs_diff: Mean |difference| over every pair.
        kendall_tau_mean: Mean Kendall's tau between the two rankings, per group.
        kendall_tau_min: Worst group's tau (1.0 = same order).
        top1_agreement: Fraction of groups whose top passage is the same.
        n_groups: Groups compared.
        n_pairs: Pairs compared.
        per_group: One row per group (query, n_passages, max_abs_diff, kendall_tau, top1_same).
    """

    max_abs_diff: float
    mean_abs_diff: float
    kendall_tau_mean: float
    kendall_tau_min: float
    top1_agreement: float
    n_groups: int
    n_pairs: int
    per_group: pd.DataFrame = field(repr=False, compare=False)

    def as_dict(self) -> dict[str, float | int]:
        """The summary figures as a plain dict."""
        return {k: getattr(self, k) for k in ("max_abs_diff", "mean_abs_diff", "kendall_tau_mean", "kendall_tau_min",
                                               "top1_agreement", "n_groups", "n_pairs")}


def _groups(cases: Any) -> list[tuple[str, list[str]]]:
    if cases is None:
        return DEFAULT_GROUPS
    groups = []
    for i, item in enumerate(cases):
        query = getattr(item, "query", None)
        passages = getattr(item, "passages", None)
        if query is None and isinstance(item, dict):
            query, passages = item.get("query"), item.get("passages")
        if query is None and isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
            query, passages = item
        if not isinstance(query, str) or isinstance(passages, str) or not isinstance(passages, Sequence):
            raise ValueError(f"cases[{i}] must be a (query, passages) pair, a dict with 'query' and 'passages', "
                             "or an object with .query and .passages")
        passages = [getattr(p, "text", p) for p in passages]
        if len(passages) == 0:
            raise ValueError(f"cases[{i}] has no passages")
        groups.append((query, list(passages)))
    if not groups:
        raise ValueError("cases is empty: pass at least one (query, passages) group, or None for the built-in set")
    return groups


def agreement(reference: Reranker, candidate: Reranker, cases: Any = None) -> Agreement:
    """Compare a candidate reranker (e.g. int8) with a reference (e.g. fp32) on query/passage groups.

    Args:
        reference: The reranker taken as right (usually fp32).
        candidate: The reranker under test, same weights.
        cases: Groups as ``(query, passages)`` pairs, dicts or case objects with ``.query`` and
            ``.passages``; default :data:`DEFAULT_GROUPS`.

    Example:
        >>> import rerankkit
        >>> fp32 = rerankkit.load("tiny-random", device="cpu")
        >>> int8 = rerankkit.load("tiny-random", device="cpu", dtype="int8")
        >>> a = agreement(fp32, int8)
        >>> a.n_groups, 0.0 <= a.top1_agreement <= 1.0
        (6, True)
    """
    import pandas as pd
    from scipy.stats import kendalltau

    groups = _groups(cases)
    rows = []
    diffs: list[np.ndarray] = []
    for query, passages in groups:
        ref = np.asarray(reference.score(query, passages, show_progress=False), dtype=np.float64)
        cand = np.asarray(candidate.score(query, passages, show_progress=False), dtype=np.float64)
        diff = np.abs(ref - cand)
        diffs.append(diff)
        if len(passages) > 1:
            tau = kendalltau(ref, cand).statistic
            tau = 1.0 if np.isnan(tau) and np.allclose(ref, cand) else float(tau)
        else:
            tau = 1.0
        rows.append({"query": query, "n_passages": len(passages), "max_abs_diff": float(diff.max()),
                     "kendall_tau": tau, "top1_same": bool(np.argmax(ref) == np.argmax(cand))})
    per_group = pd.DataFrame(rows)
    every = np.concatenate(diffs)
    return Agreement(
        max_abs_diff=float(every.max()),
        mean_abs_diff=float(every.mean()),
        kendall_tau_mean=float(per_group["kendall_tau"].mean()),
        kendall_tau_min=float(per_group["kendall_tau"].min()),
        top1_agreement=float(per_group["top1_same"].mean()),
        n_groups=len(groups),
        n_pairs=int(every.size),
        per_group=per_group,
    )
