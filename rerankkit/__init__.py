"""rerankkit: load, score and explain cross-encoder rerankers (BAAI/bge-reranker-v2-m3 by default).

Example:
    >>> import rerankkit
    >>> rr = rerankkit.load("tiny-random")          # offline test model, random weights
    >>> ranking = rr.rerank("What is the capital of France?", ["Paris is the capital.", "Berlin is in Germany."])
    >>> len(ranking)
    2
"""

from __future__ import annotations

from rerankkit import cases, errors, explain
from rerankkit._utils.environment import warn_known_breaks as _warn_known_breaks
from rerankkit.errors import (
    BrokenEnvironmentError,
    BrokenEnvironmentWarning,
    MissingDependencyError,
    ModelUnavailableError,
    TruncationWarning,
)
from rerankkit.score_scale import THRESHOLD_PRESETS, sigmoid
from rerankkit.scoring import ModelInfo, RankedPassage, Ranking, Reranker, load

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "load",
    "finetune",
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
    "cases",
    "errors",
]


def __getattr__(name: str) -> object:
    # rerankkit.finetune is imported on first use: training pulls in sentence-transformers and the evaluation stack.
    if name == "finetune":
        from rerankkit.training.pipeline import finetune

        return finetune
    raise AttributeError(f"module 'rerankkit' has no attribute {name!r}")


# A known-bad combination of versions is named at import, from package metadata alone (cheap), before any traceback.
_warn_known_breaks()
