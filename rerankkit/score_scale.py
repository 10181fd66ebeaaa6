"""The two score scales: raw logits (what ranks) and normalized scores (sigmoid, what thresholds cut).

Example:
    >>> float(sigmoid(0.0)), THRESHOLD_PRESETS["strict"].value
    (0.5, 0.8)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["sigmoid", "ThresholdPreset", "THRESHOLD_PRESETS", "DEFAULT_THRESHOLD", "resolve_threshold"]


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
    """A named cut-off on the sigmoid score, with why you would pick it.

    A sigmoid score is the sigmoid of a reranker's raw logit: it orders passages, but it is not a calibrated
    probability of relevance, so a preset is a starting point to check on labelled pairs, never a guarantee.
    """

    name: str
    value: float
    rationale: str


THRESHOLD_PRESETS: dict[str, ThresholdPreset] = {
    p.name: p
    for p in (
        ThresholdPreset(
            "strict", 0.8,
            "Answer bots and RAG: pass only passages with high scores (logit above +1.39); a wrong answer costs more "
            "than none.",
        ),
        ThresholdPreset(
            "balanced", 0.5,
            "Logit 0, the middle of the sigmoid; not a calibrated 50 % chance, only a neutral start before you set "
            "the threshold on labelled data.",
        ),
        ThresholdPreset(
            "permissive", 0.1,
            "Exploratory search: keep anything with a hint of relevance, because a person reads the list.",
        ),
    )
}
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
