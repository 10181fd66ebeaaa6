"""Hybrid first stage: reciprocal rank fusion (RRF) of several retrievers over one corpus.

RRF (Cormack, Clarke and Büttcher, SIGIR 2009) scores each passage by ``sum(1 / (k + rank))`` over the
rankings it appears in. It needs no score calibration between BM25 scores and cosine similarities, which is
why it is the usual way to join a word and a dense first stage before a reranker.

Example:
    >>> [(i, round(s, 4)) for i, s in reciprocal_rank_fusion([[2, 0, 1], [0, 2]], k=60)]
    [(2, 0.0325), (0, 0.0325), (1, 0.0159)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from rerankkit._utils.checks import check_positive_int
from rerankkit.retrieval.base import Candidate, check_query
from rerankkit.retrieval.bm25 import BM25Retriever

__all__ = ["reciprocal_rank_fusion", "HybridRetriever", "Retriever"]


class Retriever(Protocol):
    """What a first stage offers: a name, its corpus and ranked candidates for a query."""

    name: str
    corpus: list[str]

    def retrieve(self, query: str, k: int | None = None) -> list[Candidate]: ...


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], *, k: int = 60) -> list[tuple[int, float]]:
    """Fuse rankings of corpus indices (best first) into ``(index, rrf score)`` pairs, best first.

    Ties keep the order in which the indices were first seen (ranking by ranking), so the result is deterministic.

    Args:
        rankings: One list of corpus indices per retriever, best first; they may differ in length.
        k: The RRF constant (60 in the original paper): larger values flatten the weight of the top ranks.

    Example:
        >>> reciprocal_rank_fusion([[1, 0], [1]], k=1)
        [(1, 1.0), (0, 0.3333333333333333)]
    """
    check_positive_int(k, "k")
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, index in enumerate(ranking, 1):
            fused[int(index)] = fused.get(int(index), 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda item: -item[1])  # sorted() is stable: ties keep first-seen order


def _no_match(retriever: Retriever, candidate: Candidate) -> bool:
    # BM25 ranks every passage; a score of 0 means no query term occurs in it: no evidence, so no rank to fuse
    # (else the fusion would reward the zero-score passages in corpus order).
    return isinstance(retriever, BM25Retriever) and candidate.score <= 0.0


class HybridRetriever:
    """Reciprocal rank fusion of retrievers that search the same corpus (e.g. BM25 and dense).

    A BM25 passage that shares no term with the query (score 0) takes no rank in the fusion.

    Args:
        retrievers: Two or more first stages over one corpus (same passages, same order).
        depth: How deep each retriever's ranking goes into the fusion (None: the whole corpus).
        k: The RRF constant.

    Example:
        >>> from rerankkit.retrieval import BM25Retriever
        >>> corpus = ["Paris is the capital of France.", "Berlin is in Germany.", "France borders Spain."]
        >>> words = BM25Retriever(corpus)
        >>> hybrid = HybridRetriever([words, BM25Retriever(corpus, k1=0.9)])
        >>> [c.index for c in hybrid.retrieve("capital of France", k=2)]
        [0, 2]
    """

    name = "hybrid"

    def __init__(self, retrievers: Sequence[Retriever], *, depth: int | None = 100, k: int = 60) -> None:
        retrievers = list(retrievers)
        if len(retrievers) < 2:
            raise ValueError(f"retrievers: a hybrid needs at least two first stages, got {len(retrievers)}")
        corpus = list(retrievers[0].corpus)
        for i, r in enumerate(retrievers[1:], 1):
            if list(r.corpus) != corpus:
                raise ValueError(f"retrievers[{i}] ({r.name}) searches another corpus than retrievers[0] "
                                 f"({retrievers[0].name}): build every retriever over the same passages, in one order")
        self.retrievers = retrievers
        self.corpus = corpus
        self.depth = check_positive_int(depth, "depth", allow_none=True)
        self.k = check_positive_int(k, "k")

    def scores(self, query: str) -> np.ndarray:
        """The RRF score of every corpus passage (0 for a passage no retriever ranked within ``depth``)."""
        out = np.zeros(len(self.corpus))
        for c in self.retrieve(query):
            out[c.index] = c.score
        return out

    def retrieve(self, query: str, k: int | None = None) -> list[Candidate]:
        """The best ``k`` passages by fused rank (default: every passage some retriever ranked), best first."""
        check_positive_int(k, "k", allow_none=True)
        check_query(query)
        rankings = [[c.index for c in r.retrieve(query, k=self.depth) if not _no_match(r, c)] for r in self.retrievers]
        fused = reciprocal_rank_fusion(rankings, k=self.k)[: k or None]
        return [Candidate(rank=r, index=i, score=s, text=self.corpus[i]) for r, (i, s) in enumerate(fused, 1)]
