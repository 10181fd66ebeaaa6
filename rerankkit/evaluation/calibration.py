"""What a threshold means: the plain sigmoid of a logit against Platt scaling fitted on labelled pairs.

A reranker's sigmoid score orders passages; it is not a probability of relevance. Platt scaling
fits ``P(relevant) = sigmoid(a * logit + b)`` on labelled pairs (scikit-learn's
``LogisticRegression`` on the one feature, the logit), so the logit where the calibrated
probability is 0.5 is ``-b / a``, not 0. The packaged case sets supply the labels: a pair is
relevant when its passage is graded at least ``min_grade`` (2: it answers the query).

The Brier score (mean squared error of a probability) and a reliability table (predicted against
observed rates per bin) say how far each mapping is from the labels. The Platt figures are
cross-validated (each pair predicted by a fit that did not see it), so they are not flattered by
fitting and scoring the same pairs.

Example:
    >>> import numpy as np
    >>> logits = np.array([-4.0, -3.0, -1.0, 0.5, 1.0, 2.0, 3.0, 5.0])
    >>> labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> fit = platt_fit(logits, labels)
    >>> fit.slope > 0, -1.0 < fit.logit_at_half < 2.0
    (True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rerankkit._utils.optional import require
from rerankkit.evaluation.thresholds import _as_labels
from rerankkit.score_scale import sigmoid

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.scoring.reranker import Reranker

__all__ = ["CALIBRATION_SETS", "PlattScaling", "Calibration", "labelled_pairs", "platt_fit", "reliability_table",
           "calibrate", "calibration_summary", "CalibratedThreshold", "precision_target_threshold"]

CALIBRATION_SETS = ("keyword_traps", "workplace_qa", "product_search")


@dataclass(frozen=True)
class PlattScaling:
    """``P(relevant) = sigmoid(slope * logit + intercept)``, fitted on labelled pairs.

    Attributes:
        slope: Weight of the logit (positive when higher logits mean relevant more often).
        intercept: Offset.
    """

    slope: float
    intercept: float

    @property
    def logit_at_half(self) -> float | None:
        """The logit where the calibrated probability is 0.5 (``-intercept / slope``); ``None`` when the
        slope is not positive: then no logit means "more likely relevant than not"."""
        return -self.intercept / self.slope if self.slope > 0 else None

    def probability(self, logits: Sequence[float] | np.ndarray) -> np.ndarray:
        """Calibrated P(relevant) for raw logits."""
        x = np.asarray(logits, dtype=np.float64)
        return np.asarray(sigmoid(self.slope * x + self.intercept), dtype=np.float64)


def labelled_pairs(sets: Sequence[str] = CALIBRATION_SETS, *, min_grade: int = 2) -> pd.DataFrame:
    """Every (query, passage) pair of the packaged case sets, with a 0/1 label.

    Args:
        sets: Names of packaged case sets (see :func:`rerankkit.cases.names`).
        min_grade: Lowest grade that counts as relevant: 2 (answers) or 1 (also partial answers).

    Returns:
        ``set, case_id, passage_id, query, passage, grade, label``.

    Example:
        >>> frame = labelled_pairs(["keyword_traps"])
        >>> sorted(frame.label.unique().tolist())
        [0, 1]
    """
    import pandas as pd

    from rerankkit import cases

    if min_grade not in (1, 2):
        raise ValueError(f"min_grade must be 1 (partial answers count) or 2 (only full answers), got {min_grade!r}")
    if isinstance(sets, str) or not sets:
        raise ValueError("sets must be a non-empty list of case-set names, e.g. ['keyword_traps']")
    rows = []
    for name in sets:
        for case in cases.load(name).cases:
            for p in case.passages:
                rows.append({"set": name, "case_id": case.id, "passage_id": p.id, "query": case.query,
                             "passage": p.text, "grade": p.relevance, "label": int(p.relevance >= min_grade)})
    return pd.DataFrame(rows)


def platt_fit(logits: Sequence[float] | np.ndarray, labels: Sequence[int] | np.ndarray) -> PlattScaling:
    """Fit Platt scaling: scikit-learn's ``LogisticRegression`` on the logit alone.

    Its default light L2 penalty keeps the fit finite when the labelled pairs separate perfectly.
    """
    linear_model = require("sklearn.linear_model", feature="Platt scaling")
    x, y = _checked(logits, labels)
    model = linear_model.LogisticRegression().fit(x.reshape(-1, 1), y)
    return PlattScaling(float(model.coef_[0, 0]), float(model.intercept_[0]))


def _checked(logits, labels) -> tuple[np.ndarray, np.ndarray]:
    y = _as_labels(labels)
    x = np.asarray(logits, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"logits has {x.size} values but labels has {y.size}: pass one logit per label")
    if not np.isfinite(x).all():
        raise ValueError("logits must be finite numbers (raw reranker logits)")
    return x, y


def _cross_validated(x: np.ndarray, y: np.ndarray, folds: int) -> np.ndarray:
    model_selection = require("sklearn.model_selection", feature="Platt scaling")
    linear_model = require("sklearn.linear_model", feature="Platt scaling")
    folds = max(2, min(folds, int(np.bincount(y).min())))
    splitter = model_selection.StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    return model_selection.cross_val_predict(linear_model.LogisticRegression(), x.reshape(-1, 1), y,
                                             cv=splitter, method="predict_proba")[:, 1]


def reliability_table(probabilities: dict[str, np.ndarray], labels: Sequence[int] | np.ndarray, *,
                      n_bins: int = 5) -> pd.DataFrame:
    """Predicted against observed rate of relevant pairs, per probability bin, for each mapping.

    Args:
        probabilities: ``{mapping name: P(relevant) per pair}``.
        labels: 0/1 per pair.
        n_bins: Equal-width bins on [0, 1].

    Returns:
        ``mapping, bin, n, mean_predicted, observed`` (empty bins left out).

    Example:
        >>> t = reliability_table({"sigmoid": np.array([0.1, 0.2, 0.9, 0.8])}, [0, 1, 1, 1], n_bins=2)
        >>> t[["bin", "n", "observed"]].values.tolist()
        [['0.0-0.5', 2, 0.5], ['0.5-1.0', 2, 1.0]]
    """
    import pandas as pd

    y = _as_labels(labels)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    rows = []
    for name, p in probabilities.items():
        p = np.asarray(p, dtype=np.float64)
        index = np.clip(np.digitize(p, edges[1:-1], right=False), 0, n_bins - 1)
        for b in range(n_bins):
            mask = index == b
            if mask.any():
                rows.append({"mapping": name, "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "n": int(mask.sum()),
                             "mean_predicted": float(p[mask].mean()), "observed": float(y[mask].mean())})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Calibration:
    """What a threshold means for one model on labelled pairs.

    Attributes:
        model_id: The model's spec.
        random_weights: True when its scores mean nothing (built test weights).
        n_pairs: Labelled pairs scored.
        n_relevant: Of which relevant.
        platt: The fit on all pairs.
        brier_sigmoid: Brier score of the plain sigmoid of the logit.
        brier_platt: Brier score of cross-validated Platt probabilities.
        reliability: The reliability table of both mappings.
        logits: The raw logits, in ``labelled_pairs`` order.
        labels: The labels.
    """

    model_id: str
    random_weights: bool
    n_pairs: int
    n_relevant: int
    platt: PlattScaling
    brier_sigmoid: float
    brier_platt: float
    reliability: pd.DataFrame
    logits: np.ndarray
    labels: np.ndarray

    def row(self) -> dict:
        """One summary row: where P = 0.5 falls on the logit axis for each mapping, and the Brier scores."""
        return {"model": self.model_id, "random_weights": self.random_weights, "pairs": self.n_pairs,
                "relevant": self.n_relevant, "sigmoid_0.5_at_logit": 0.0,
                "platt_0.5_at_logit": self.platt.logit_at_half, "platt_slope": self.platt.slope,
                "brier_sigmoid": self.brier_sigmoid, "brier_platt_cv": self.brier_platt}


def _scored_pairs(reranker: Any, pairs: Any) -> tuple[Any, np.ndarray, np.ndarray]:
    """The labelled pairs (default: :func:`labelled_pairs`), their raw logits and labels, checked."""
    frame = labelled_pairs() if pairs is None else pairs
    missing = {"query", "passage", "label"} - set(frame.columns)
    if missing:
        raise ValueError(f"pairs lacks columns {sorted(missing)}: pass the frame of labelled_pairs(...)")
    logits = reranker.score(list(zip(frame["query"], frame["passage"])), show_progress=False)
    x, y = _checked(logits, frame["label"].to_numpy())
    return frame, x, y


def calibrate(reranker: Reranker, pairs: pd.DataFrame | None = None, *, n_bins: int = 5, folds: int = 5
              ) -> Calibration:
    """Score labelled pairs with ``reranker`` and compare the plain sigmoid with Platt scaling.

    Args:
        reranker: A loaded :class:`~rerankkit.scoring.reranker.Reranker`.
        pairs: The frame of :func:`labelled_pairs` (default: the packaged sets, grade 2 relevant).
        n_bins: Bins of the reliability table.
        folds: Cross-validation folds for the Platt Brier score.

    Example:
        >>> import rerankkit
        >>> cal = calibrate(rerankkit.load("tiny-random"), labelled_pairs(["keyword_traps"]))
        >>> cal.random_weights, cal.n_pairs == len(cal.logits)
        (True, True)
    """
    metrics = require("sklearn.metrics", feature="calibration")
    frame, x, y = _scored_pairs(reranker, pairs)
    plain = np.asarray(sigmoid(x), dtype=np.float64)
    platt_cv = _cross_validated(x, y, folds)
    info = reranker.info
    return Calibration(
        model_id=info.model_id, random_weights=info.random_weights, n_pairs=len(y), n_relevant=int(y.sum()),
        platt=platt_fit(x, y), brier_sigmoid=float(metrics.brier_score_loss(y, plain)),
        brier_platt=float(metrics.brier_score_loss(y, platt_cv)),
        reliability=reliability_table({"sigmoid": plain, "platt (cross-validated)": platt_cv}, y, n_bins=n_bins),
        logits=x, labels=y,
    )


def calibration_summary(calibrations: Sequence[Calibration]) -> pd.DataFrame:
    """One row per model (see :meth:`Calibration.row`)."""
    import pandas as pd

    if not calibrations:
        raise ValueError("calibrations is empty: pass the results of calibrate(...)")
    return pd.DataFrame([c.row() for c in calibrations])


@dataclass(frozen=True)
class CalibratedThreshold:
    """A threshold on the normalized score chosen on labelled pairs to reach a precision target.

    Attributes:
        value: The lowest sigmoid-score threshold whose passing pairs reach ``target`` precision, or ``None``
            when no threshold reaches it on these pairs.
        target: The precision asked for.
        precision: Precision of ``score >= value`` on the labelled pairs (the best reached when ``value`` is None).
        recall: Share of the relevant pairs that pass (``None`` when ``value`` is None).
        n_pairs: Labelled pairs scored.
        n_relevant: Of which relevant.
        data: The labelled data it was fitted on, in words.
        model_id: The model whose scores were used.
        random_weights: True when the model has random weights (then the threshold means nothing).
    """

    value: float | None
    target: float
    precision: float
    recall: float | None
    n_pairs: int
    n_relevant: int
    data: str
    model_id: str
    random_weights: bool

    @property
    def source(self) -> str:
        """Where the threshold comes from, as the cards and the playground show it."""
        return (f"calibrated for precision {self.target:.2f} on {self.data}: precision {self.precision:.2f}, "
                f"recall {self.recall:.2f}" if self.value is not None and self.recall is not None
                else f"no threshold reaches precision {self.target:.2f} on {self.data} (best {self.precision:.2f})")


def precision_target_threshold(reranker: Reranker, pairs: pd.DataFrame | None = None, *, target: float = 0.8,
                               data: str | None = None) -> CalibratedThreshold:
    """Score labelled pairs and choose the lowest threshold whose passing pairs reach ``target`` precision.

    This is the threshold a team sets for its use case, replacing an uncalibrated preset: it holds for the
    data it was fitted on, so fit it on labelled pairs from your own domain (``pairs``, the frame of
    :func:`labelled_pairs` or any frame with ``query``, ``passage``, ``label``).

    Args:
        reranker: A loaded :class:`~rerankkit.scoring.reranker.Reranker`.
        pairs: Labelled pairs (default: the packaged case sets, grade 2 relevant).
        target: Precision asked for, in (0, 1].
        data: How to name ``pairs`` in the result (default: the sets named in its ``set`` column).

    Example:
        >>> import rerankkit
        >>> fit = precision_target_threshold(rerankkit.load("tiny-random"), labelled_pairs(["keyword_traps"]))
        >>> fit.n_pairs > 0, fit.random_weights, "keyword_traps" in fit.data
        (True, True, True)
    """
    from rerankkit.evaluation.thresholds import sweep_thresholds

    if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 < target <= 1:
        raise ValueError(f"target must be a precision in (0, 1], got {target!r}")
    frame, x, y = _scored_pairs(reranker, pairs)
    if data is None:
        names = sorted(set(frame["set"])) if "set" in frame.columns else []
        data = f"{len(y)} labelled pairs ({', '.join(names)})" if names else f"{len(y)} labelled pairs"
    # The finest grid the scores allow: every distinct score is a candidate cut.
    scores = np.asarray(sigmoid(x), dtype=np.float64)
    sweep = sweep_thresholds(y, scores, thresholds=np.unique(scores))
    info = reranker.info
    ok = sweep[sweep["precision"] >= target]
    row = None if ok.empty else ok.iloc[0]
    return CalibratedThreshold(
        value=float(row.threshold) if row is not None else None,
        target=float(target),
        precision=float(row.precision) if row is not None else float(np.nanmax(sweep["precision"])),
        recall=float(row.recall) if row is not None else None,
        n_pairs=len(y), n_relevant=int(y.sum()), data=data, model_id=info.model_id,
        random_weights=info.random_weights,
    )
