"""rerankkit: load, score and explain cross-encoder rerankers (BAAI/bge-reranker-v2-m3 by default).

Example:
    >>> import rerankkit
    >>> rr = rerankkit.load("tiny-random")          # offline test model, random weights
    >>> ranking = rr.rerank("What is the capital of France?", ["Paris is the capital.", "Berlin is in Germany."])
    >>> len(ranking)
    2
"""

from __future__ import annotations

from .environment import warn_known_breaks as _warn_known_breaks
from .errors import BrokenEnvironmentError, BrokenEnvironmentWarning, MissingDependencyError, ModelUnavailableError

from . import explain
from .loading import ModelInfo, load
from .reranker import Reranker, TruncationWarning, sigmoid
from .results import THRESHOLD_PRESETS, RankedPassage, Ranking

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "load",
    "explain",
    "Reranker",
    "ModelInfo",
    "Ranking",
    "RankedPassage",
    "THRESHOLD_PRESETS",
    "sigmoid",
    "ModelUnavailableError",
    "MissingDependencyError",
    "BrokenEnvironmentError",
    "BrokenEnvironmentWarning",
    "TruncationWarning",
]

from . import cases

__all__ += ["cases"]

# A known-bad combination of versions is named at import, from package metadata alone (cheap), before any traceback.
_warn_known_breaks()
