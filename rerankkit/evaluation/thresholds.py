"""Choosing a threshold: precision and recall of "score >= t" on labelled pairs, for every t.

A threshold is set on the normalized score (sigmoid of the raw logit, in [0, 1]). Which one
to use depends on the cost of a wrong pass against a missed passage, so it is chosen on
labelled data: this module sweeps it with scikit-learn's metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from rerankkit._utils.optional import require

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["sweep_thresholds"]


def _as_labels(labels: Sequence[int | bool] | np.ndarray) -> np.ndarray:
    values = np.asarray(labels)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError("labels must be a non-empty 1-D sequence of 0/1 (or True/False)")
    plain = values.tolist()
    bad = [i for i, v in enumerate(plain) if v not in (0, 1)]
    if bad:
        raise ValueError(f"labels must be 0/1 or True/False; labels[{bad[0]}] is {plain[bad[0]]!r}")
    values = values.astype(int)
    if values.min() == values.max():
        kind = "relevant (1)" if values[0] == 0 else "irrelevant (0)"
        raise ValueError(f"labels has no {kind} pair: precision and recall need both kinds")
    return values


def sweep_thresholds(
    labels: Sequence[int | bool] | np.ndarray,
    scores: Sequence[float] | np.ndarray,
    thresholds: Sequence[float] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Precision, recall and F1 of "normalized score >= threshold" for each threshold.

    Args:
        labels: 1 (or True) for relevant pairs, 0 for irrelevant ones.
        scores: Normalized scores in [0, 1], e.g. ``rr.score(pairs, normalize=True)``.
        thresholds: Cut-offs to evaluate (default: 0.00, 0.01, ..., 1.00).

    Returns:
        A DataFrame with ``threshold``, ``precision`` (NaN where nothing passes), ``recall``,
        ``f1`` and ``n_pass`` (pairs at or above the threshold).

    Example:
        >>> frame = sweep_thresholds([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], thresholds=[0.3, 0.5])
        >>> frame.n_pass.tolist(), frame.precision.round(3).tolist(), frame.recall.tolist()
        ([3, 2], [0.667, 0.5], [1.0, 0.5])
    """
    metrics = require("sklearn.metrics", feature="sweep_thresholds")
    import pandas as pd

    y_true = _as_labels(labels)
    y_score = np.asarray(scores, dtype=np.float64)
    if y_score.shape != y_true.shape:
        raise ValueError(f"scores has {y_score.size} values but labels has {y_true.size}: pass one score per label")
    if np.isnan(y_score).any() or y_score.min() < 0.0 or y_score.max() > 1.0:
        raise ValueError(
            "scores must be normalized scores in [0, 1]; raw logits are not. "
            "Use rr.score(..., normalize=True) or rerankkit.sigmoid(logits)."
        )
    grid = np.round(np.linspace(0.0, 1.0, 101), 2) if thresholds is None else np.asarray(thresholds, dtype=np.float64)
    rows = []
    for t in grid:
        predicted = (y_score >= t).astype(int)
        precision, recall, f1, _ = metrics.precision_recall_fscore_support(
            y_true, predicted, average="binary", zero_division=np.nan
        )
        rows.append({"threshold": float(t), "precision": precision, "recall": recall, "f1": f1,
                     "n_pass": int(predicted.sum())})
    return pd.DataFrame(rows)
