"""BM25 over a fixed corpus with ``bm25s`` (Lucene's variant), on :func:`~rerankkit.retrieval.base.tokenize`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rerankkit._utils.optional import require
from rerankkit.retrieval.base import Candidate, check_corpus, check_query, ranked, tokenize

__all__ = ["BM25Retriever"]


class BM25Retriever:
    """BM25 over a fixed corpus (``bm25s``, Lucene variant), with CJK-aware :func:`tokenize`.

    Args:
        corpus: Passages to search.
        k1: Term-frequency saturation.
        b: Length normalisation.
        tokenizer: Text to terms (default :func:`tokenize`).
    """

    name = "bm25"

    def __init__(self, corpus: Sequence[str], *, k1: float = 1.5, b: float = 0.75,
                 tokenizer: Callable[[str], list[str]] = tokenize) -> None:

        bm25s = require("bm25s", feature="BM25 retrieval")
        self.corpus = check_corpus(corpus)
        self.tokenizer = tokenizer
        docs = [tokenizer(text) or ["\u2205"] for text in self.corpus]  # a placeholder keeps term-less passages
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        self._bm25.index(docs, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every corpus passage for the query (0 where no term matches)."""
        known = [t for t in self.tokenizer(check_query(query)) if t in self._bm25.vocab_dict]
        if not known:
            return np.zeros(len(self.corpus))
        return np.asarray(self._bm25.get_scores(known), dtype=np.float64)

    def retrieve(self, query: str, k: int | None = None) -> list[Candidate]:
        """The best ``k`` passages (default all), best first."""
        return ranked(self.scores(query), self.corpus, k)
