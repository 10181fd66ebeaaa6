"""Explaining a reranker score: word attributions, what-if probes and an attention view.

Example:
    >>> import rerankkit
    >>> rr = rerankkit.load("tiny-random")
    >>> ex = rerankkit.explain(rr, "what is panda?", "The giant panda is a bear.", method="occlusion")
    >>> ex.method, len(ex.passage_words)
    ('occlusion', 6)
"""

from __future__ import annotations

from .attributions import (
    ConvergenceWarning,
    Explanation,
    SlowExplanationWarning,
    WordAttribution,
    estimate_seconds,
    explain,
)

__all__ = [
    "explain",
    "Explanation",
    "WordAttribution",
    "ConvergenceWarning",
    "SlowExplanationWarning",
    "estimate_seconds",
]
