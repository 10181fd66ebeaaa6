"""The rerank step of a pipeline, as the framework adapters call it: checked input, a calibrated cut,
metadata that says which score is which, one model load shared by every caller, and an async form.

:func:`rerank_texts` scores with :meth:`Reranker.rerank`, so its order and scores are exactly
``rr.rerank``'s. A score cut is offered only as a :class:`CalibratedCut`: a minimum *calibrated*
probability of relevance from Platt scaling on labelled pairs (:func:`rerankkit.evaluation.calibration.calibrate`),
turned into the raw logit it means for that model. The reranker's sigmoid is not a probability
(bge rerankers learn an order within a query, not a scale), so no fixed number is offered as a cut.

Example:
    >>> import rerankkit
    >>> rr = rerankkit.load("tiny-random")
    >>> rows = rerank_texts(rr, "capital of France?", ["Paris.", "Berlin.", "Rome."], top_n=2)
    >>> [row.rank for row in rows], sorted(rows[0].metadata())[:2]
    ([1, 2], ['rerank_logit', 'rerank_model'])
    >>> rerank_texts(rr, "q", [])
    []
"""

from __future__ import annotations

import asyncio
import functools
import math
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rerankkit._utils.checks import check_positive_int, describe
from rerankkit.scoring.loading import load
from rerankkit.scoring.reranker import Reranker

if TYPE_CHECKING:
    from rerankkit.evaluation.calibration import Calibration

__all__ = ["CalibratedCut", "RerankedText", "rerank_texts", "arerank_texts", "shared_reranker", "check_documents"]

# Names of the metadata each reranked document carries: the score's kind is in its name.
LOGIT_KEY = "rerank_logit"  # the raw logit: what ranks
SIGMOID_KEY = "rerank_sigmoid"  # sigmoid(logit) in [0, 1]: an order-preserving squash, not a probability
CALIBRATED_KEY = "rerank_calibrated_probability"  # Platt-calibrated P(relevant), only with a CalibratedCut


@dataclass(frozen=True)
class CalibratedCut:
    """Keep documents whose calibrated probability of relevance reaches ``min_probability``.

    Build it with :meth:`from_calibration` from :func:`~rerankkit.evaluation.calibration.calibrate` on labelled
    pairs, for the model that will rerank: the cut is a logit of that model, meaningless for another.

    Attributes:
        model_id: The model the calibration scored.
        min_probability: The calibrated probability a document must reach.
        slope: Platt scaling's slope.
        intercept: Platt scaling's intercept.
        random_weights: The calibration came from random weights (its cut means nothing).
    """

    model_id: str
    min_probability: float
    slope: float
    intercept: float
    random_weights: bool = False

    @classmethod
    def from_calibration(cls, calibration: Calibration, min_probability: float = 0.5) -> CalibratedCut:
        """The cut at ``min_probability`` of a :class:`~rerankkit.evaluation.calibration.Calibration`.

        Example:
            >>> import numpy as np
            >>> from rerankkit.evaluation.calibration import platt_fit
            >>> platt = platt_fit(np.array([-3.0, -2, -1, 0, 1, 2, 3, 4]), np.array([0, 0, 0, 1, 0, 1, 1, 1]))
            >>> cut = CalibratedCut("m", 0.5, platt.slope, platt.intercept)
            >>> round(cut.logit, 6) == round(platt.logit_at_half, 6)
            True
        """
        if isinstance(min_probability, bool) or not isinstance(min_probability, (int, float)) or not (
                0.0 < min_probability < 1.0):
            raise ValueError(f"min_probability must be a number strictly between 0 and 1, got {min_probability!r}")
        platt = calibration.platt
        if platt.slope <= 0:
            raise ValueError(f"the calibration of {calibration.model_id} found no rising relation between its logits "
                             "and relevance (slope <= 0): no logit cut means 'more likely relevant'; do not cut")
        return cls(calibration.model_id, float(min_probability), platt.slope, platt.intercept,
                   calibration.random_weights)

    @property
    def logit(self) -> float:
        """The raw logit at which the calibrated probability equals ``min_probability``."""
        p = self.min_probability
        return (math.log(p / (1.0 - p)) - self.intercept) / self.slope

    def probability(self, logit: float) -> float:
        """Calibrated P(relevant) of a raw logit."""
        return 1.0 / (1.0 + math.exp(-(self.slope * logit + self.intercept)))

    def check_model(self, reranker: Reranker) -> None:
        """Refuse a reranker other than the calibrated one."""
        if reranker.info.model_id != self.model_id:
            raise ValueError(f"score_cut was calibrated on {self.model_id!r} but the reranker is "
                             f"{reranker.info.model_id!r}: calibrate this model (rerankkit.evaluation.calibration)")


@dataclass(frozen=True)
class RerankedText:
    """One document after reranking.

    Attributes:
        rank: 1 for the best.
        index: Position in the input list.
        text: The document's text.
        logit: Raw logit (what ranks).
        sigmoid: ``sigmoid(logit)``.
        n_tokens: Tokens of the pair the model saw.
        n_cut: Document tokens cut to fit ``max_length``.
        calibrated: Calibrated P(relevant), when a :class:`CalibratedCut` was given.
        model: The model's label.
    """

    rank: int
    index: int
    text: str
    logit: float
    sigmoid: float
    n_tokens: int
    n_cut: int
    calibrated: float | None
    model: str

    def metadata(self) -> dict[str, Any]:
        """What the adapters add to each document's metadata (names say which score is which)."""
        meta: dict[str, Any] = {LOGIT_KEY: self.logit, SIGMOID_KEY: self.sigmoid, "rerank_rank": self.rank,
                                "rerank_truncated": self.n_cut > 0, "rerank_tokens_cut": self.n_cut,
                                "rerank_model": self.model}
        if self.calibrated is not None:
            meta[CALIBRATED_KEY] = self.calibrated
        return meta


def check_documents(documents: object, name: str = "documents") -> list[str]:
    """The documents' texts: a list (possibly empty) of non-empty str, else an error naming the index."""
    if isinstance(documents, (str, bytes)) or not isinstance(documents, Sequence):
        raise TypeError(f"{name} must be a list of texts, got {describe(documents)}")
    texts = []
    for i, text in enumerate(documents):
        if not isinstance(text, str):
            raise TypeError(f"{name}[{i}] must be text (str), got {describe(text)}")
        if not text.strip():
            raise ValueError(f"{name}[{i}] is empty: drop empty documents before reranking")
        texts.append(text)
    return texts


def _check_query(query: object) -> str:
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, got {describe(query)}")
    if not query.strip():
        raise ValueError("query is empty: pass the user's question")
    return query


_LOCKS: weakref.WeakKeyDictionary[Reranker, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _lock(reranker: Reranker) -> threading.Lock:
    # One forward pass at a time per model: a Hugging Face fast tokenizer refuses concurrent use from
    # threads ("Already borrowed"), and on CPU parallel passes only compete for the same cores.
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(reranker, threading.Lock())


def rerank_texts(reranker: Reranker, query: str, documents: Sequence[str], *, top_n: int | None = None,
                 score_cut: CalibratedCut | None = None, max_length: int | None = None) -> list[RerankedText]:
    """Rerank ``documents`` for ``query``: the best ``top_n`` (default all) at or above ``score_cut``, best first.

    Args:
        reranker: A loaded reranker (see :func:`shared_reranker`).
        query: The question.
        documents: Candidate texts; an empty list gives an empty list.
        top_n: Documents kept (at least 1; default all).
        score_cut: A :class:`CalibratedCut` for this model, or None for no cut.
        max_length: Tokens per pair (default: the reranker's).
    """
    query = _check_query(query)
    texts = check_documents(documents)
    check_positive_int(top_n, "top_n", allow_none=True)
    if score_cut is not None:
        if not isinstance(score_cut, CalibratedCut):
            raise TypeError(f"score_cut must be a CalibratedCut (from calibration on labelled data), got "
                            f"{describe(score_cut)}: a fixed number is no cut for bge rerankers")
        score_cut.check_model(reranker)
    if not texts:
        return []
    with _lock(reranker):
        ranking = reranker.rerank(query, texts, max_length=max_length, show_progress=False)
    rows = [RerankedText(r.rank, r.index, r.text, r.logit, r.score, r.n_tokens, r.n_cut,
                         score_cut.probability(r.logit) if score_cut else None, ranking.model_label)
            for r in ranking if score_cut is None or r.logit >= score_cut.logit]
    return rows[:top_n] if top_n is not None else rows


async def arerank_texts(reranker: Reranker, query: str, documents: Sequence[str], **options: Any
                        ) -> list[RerankedText]:
    """:func:`rerank_texts` in a worker thread, so the event loop keeps serving while the model scores."""
    return await asyncio.to_thread(rerank_texts, reranker, query, documents, **options)


@functools.lru_cache(maxsize=8)
def _cached_load(model: str, options: tuple[tuple[str, Any], ...]) -> Reranker:
    return load(model, **dict(options))


def shared_reranker(model: str | Reranker, **options: Any) -> Reranker:
    """A loaded reranker: ``model`` itself, or :func:`rerankkit.load` of the spec, loaded once per process
    for the same spec and options (so many adapters and calls share one copy of the weights).

    Args:
        model: A :class:`Reranker`, or any spec :func:`rerankkit.load` accepts (hub id, folder, ``tiny-random``...).
        options: :func:`rerankkit.load` options (``dtype="int8"``, ``instruction=...``, ``max_length=...``).

    Example:
        >>> shared_reranker("tiny-random") is shared_reranker("tiny-random")
        True
    """
    if isinstance(model, Reranker):
        if options:
            raise ValueError(f"options {sorted(options)} apply when loading: pass them to rerankkit.load, or pass a "
                             "model spec here")
        return model
    if not isinstance(model, str) or not model.strip():
        raise ValueError(f"model must be a Reranker or a model spec such as 'BAAI/bge-reranker-v2-m3', got {model!r}")
    try:
        key = tuple(sorted(options.items()))
        hash(key)
    except TypeError:
        return load(model, **options)  # unhashable options (a device list): load without sharing
    return _cached_load(model, key)
