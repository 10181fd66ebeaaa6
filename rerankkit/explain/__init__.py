"""Explaining a reranker score: word attributions, what-if probes and an attention view.

``rerankkit.explain(rr, query, passage)`` calls :func:`explain`; ``rerankkit.explain.probes``
runs the what-if probes; ``rerankkit.explain.attention`` holds the optional bertviz view.

Example:
    >>> import rerankkit
    >>> rr = rerankkit.load("tiny-random")
    >>> ex = rerankkit.explain(rr, "what is panda?", "The giant panda is a bear.", method="occlusion")
    >>> ex.method, len(ex.passage_words)
    ('occlusion', 6)
"""

from __future__ import annotations

import sys
import types

from rerankkit.errors import ConvergenceWarning, SlowExplanationWarning
from rerankkit.explain.attributions import Explanation, WordAttribution, estimate_seconds, explain
from rerankkit.explain.probes import Probe, ProbeTable, probes

__all__ = [
    "explain",
    "Explanation",
    "WordAttribution",
    "ConvergenceWarning",
    "SlowExplanationWarning",
    "estimate_seconds",
    "probes",
    "ProbeTable",
    "Probe",
]


class _CallableModule(types.ModuleType):
    """Lets ``rerankkit.explain(rr, query, passage)`` call :func:`explain` while
    ``rerankkit.explain.probes`` and friends stay reachable as module attributes."""

    # A static method, so warnings raised inside explain() point at the caller's line.
    __call__ = staticmethod(explain)


sys.modules[__name__].__class__ = _CallableModule
