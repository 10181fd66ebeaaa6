"""The two score scales: raw logits (what ranks) and normalized scores (sigmoid, what thresholds cut).

bge rerankers are trained with a cross-entropy loss over groups of passages: only the order of the
scores within one query is what they learned, and the sigmoid of a logit is not a probability of
relevance (for decoder rerankers the sigmoid of the "yes" logit is not one either). So nothing here
marks a passage as passing by default: a per-query cut-off (top-k, a gap to the top score) needs no
labels, and a threshold on the normalized score is only meaningful once calibrated on labelled
in-domain pairs (:func:`rerankkit.evaluation.calibration.precision_target_threshold`). The presets
are the suggested starting points of the articles the kit was planned from: uncalibrated.

Example:
    >>> float(sigmoid(0.0)), THRESHOLD_PRESETS["strict"].value, THRESHOLD_PRESETS["strict"].calibrated
    (0.5, 0.8, False)
    >>> THRESHOLD_PRESETS["strict"].label
    'strict 0.8 (uncalibrated)'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["sigmoid", "ThresholdPreset", "THRESHOLD_PRESETS", "DEFAULT_THRESHOLD", "UNCALIBRATED_NOTE",
           "resolve_threshold"]

UNCALIBRATED_NOTE = (
    "uncalibrated: a suggested starting point from the articles, not a probability; bge rerankers learned only "
    "the order within a query, so calibrate a threshold on labelled pairs from your own domain before you trust it"
)


def sigmoid(logits: np.ndarray | float) -> np.ndarray | float:
    """Map raw logits to (0, 1) scores, numerically stable for large magnitudes.

    Example:
        >>> float(sigmoid(0.0))
        0.5
    """
    x = np.asarray(logits, dtype=np.float64)
    out = np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))
    return float(out) if np.ndim(out) == 0 else out



@dataclass(frozen=True)
class ThresholdPreset:
    """A named cut-off on the sigmoid score: one of the articles' suggested starting points, uncalibrated.

    A sigmoid score is the sigmoid of a reranker's raw logit (encoder) or of its "yes" logit (decoder): it
    orders passages within a query, but it is not a calibrated probability of relevance, so a preset is a
    starting point to replace with a threshold calibrated on labelled pairs, never a guarantee.
    """

    name: str
    value: float
    rationale: str
    calibrated: bool = False

    @property
    def label(self) -> str:
        """Name, value and the word "uncalibrated", as every display shows a preset."""
        return f"{self.name} {self.value:.1f} ({'calibrated' if self.calibrated else 'uncalibrated'})"


THRESHOLD_PRESETS: dict[str, ThresholdPreset] = {
    p.name: p
    for p in (
        ThresholdPreset(
            "strict", 0.8,
            "The articles' suggested start for answer bots and RAG, where a wrong answer costs more than none "
            "(logit above +1.39). Uncalibrated: replace it with a threshold calibrated on your labelled pairs.",
        ),
        ThresholdPreset(
            "balanced", 0.5,
            "The articles' suggested neutral start: logit 0, the middle of the sigmoid; not a 50 % chance. Uncalibrated: "
            "replace it with a threshold calibrated on your labelled pairs.",
        ),
        ThresholdPreset(
            "permissive", 0.1,
            "The articles' suggested start for exploratory search, where a person reads the list (logit above "
            "-2.2). Uncalibrated: replace it with a threshold calibrated on your labelled pairs.",
        ),
    )
}
# The "balanced" preset's value. Rankings are no longer marked against it unless a threshold is chosen.
DEFAULT_THRESHOLD = THRESHOLD_PRESETS["balanced"].value


def resolve_threshold(threshold: float | str | None) -> float:
    """Turn a preset name or a number in [0, 1] into a cut-off on the normalized score.

    Example:
        >>> resolve_threshold("strict"), resolve_threshold(None), resolve_threshold(0.3)
        (0.8, 0.5, 0.3)
    """
    if threshold is None:
        return DEFAULT_THRESHOLD
    if isinstance(threshold, str):
        if threshold not in THRESHOLD_PRESETS:
            raise ValueError(f"unknown threshold preset {threshold!r}: use one of {sorted(THRESHOLD_PRESETS)} or a number")
        return THRESHOLD_PRESETS[threshold].value
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(
            f"threshold must be a normalized score in [0, 1] or a preset name, got {threshold!r}. "
            "Raw logits are not in [0, 1]: convert one with rerankkit.sigmoid(logit)."
        )
    return float(threshold)
