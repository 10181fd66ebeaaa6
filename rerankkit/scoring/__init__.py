"""Scoring: :func:`load` a model, the :class:`Reranker` that scores pairs, and the :class:`Ranking` it returns."""

from rerankkit.scoring.info import ModelInfo
from rerankkit.scoring.loading import load
from rerankkit.scoring.reranker import EncodedPairs, Reranker
from rerankkit.scoring.results import RankedPassage, Ranking

__all__ = ["load", "ModelInfo", "Reranker", "EncodedPairs", "Ranking", "RankedPassage"]
