"""Retrieve, rerank, pack: the pipeline over one chunked corpus, with three first stages.

* ``bm25``: :class:`~rerankkit.retrieval.BM25Retriever` over the chunks' text (only chunks sharing a term with
  the question);
* ``dense``: the Milvus collection of :class:`~rerankkit.rag.store.VectorStore`;
* ``hybrid``: :class:`~rerankkit.retrieval.HybridRetriever`, reciprocal rank fusion of the two.

Example (offline, on tiny-random and the test encoder; a Milvus Lite file in a temporary folder):
    >>> import tempfile, rerankkit
    >>> from rerankkit.retrieval import load_encoder
    >>> from rerankkit.rag.store import VectorStore
    >>> rr = rerankkit.load("tiny-random")
    >>> chunks = chunk_documents({"a": "Paris is the capital of France.", "b": "Berlin is in Germany."}, rr.tokenizer)
    >>> store = VectorStore(load_encoder("tiny-random-encoder"), uri=tempfile.mkdtemp() + "/doc.db")
    >>> pipe = RagPipeline(store.build(chunks, show_progress=False), rr)
    >>> [h.chunk.id for h in pipe.retrieve("capital of France", stage="bm25", k=1)]
    ['a#0']
    >>> ctx = pipe.context("capital of France", stage="hybrid", k=2, budget=50)
    >>> len(ctx.chunks)
    2
    >>> store.close()
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from rerankkit._utils.checks import check_positive_int
from rerankkit.rag.chunks import RagChunk, chunk_documents
from rerankkit.rag.context import Context, Order, pack_context
from rerankkit.rag.rerank import CalibratedCut, rerank_texts
from rerankkit.rag.store import VectorStore
from rerankkit.retrieval.base import Candidate
from rerankkit.retrieval.bm25 import BM25Retriever
from rerankkit.retrieval.hybrid import HybridRetriever, Retriever
from rerankkit.scoring.reranker import Reranker

__all__ = ["Hit", "RagPipeline", "STAGES", "chunk_documents"]

STAGES = ("bm25", "dense", "hybrid")


@dataclass(frozen=True)
class Hit:
    """A chunk in a ranking.

    Attributes:
        chunk: The chunk.
        score: The score it is ranked by: the first stage's (BM25, cosine, RRF) or the reranker's raw logit.
        rank: 1 for the best.
        stage: What ranked it: ``bm25``, ``dense``, ``hybrid`` or ``reranker``.
    """

    chunk: RagChunk
    score: float
    rank: int
    stage: str


class _Matching:
    """BM25 without the passages that share no term with the query: ranked after the matches in corpus order
    (all scoring 0), they would fill a context, and a fusion, with arbitrary chunks (e.g. across languages)."""

    name = "bm25"

    def __init__(self, bm25: BM25Retriever) -> None:
        self.bm25 = bm25
        self.corpus = bm25.corpus

    def retrieve(self, query: str, k: int | None = None) -> list[Candidate]:
        return [c for c in self.bm25.retrieve(query, k) if c.score > 0]


class RagPipeline:
    """First stages over the chunks of a built :class:`VectorStore`, and the reranker after them.

    Args:
        store: A store whose :meth:`~VectorStore.build` has run (its chunks are the corpus).
        reranker: A loaded reranker (None: retrieval only).
        fusion_depth: How deep BM25 and dense rankings go into the hybrid's fusion.
        documents: Search only the chunks of these document ids (default all): one collection serves several
            corpora, e.g. one language's documents for cross-lingual questions.
    """

    def __init__(self, store: VectorStore, reranker: Reranker | None = None, *, fusion_depth: int = 100,
                 documents: Collection[str] | None = None) -> None:
        if not store.chunks:
            raise ValueError("store holds no chunks: call store.build(chunks) first")
        self.store = store
        self.reranker = reranker
        rows = [i for i, c in enumerate(store.chunks) if documents is None or c.doc_id in documents]
        if not rows:
            raise ValueError("documents: none of these document ids is in the store")
        self.chunks: list[RagChunk] = [store.chunks[i] for i in rows]
        bm25 = _Matching(BM25Retriever([c.text for c in self.chunks]))
        dense = store.retriever(None if documents is None else rows)
        self.stages: dict[str, Retriever] = {"bm25": bm25, "dense": dense,
                                             "hybrid": HybridRetriever([bm25, dense], depth=fusion_depth)}

    def retrieve(self, question: str, *, stage: str = "hybrid", k: int = 20) -> list[Hit]:
        """The first stage's best ``k`` chunks for ``question``, best first."""
        if stage not in self.stages:
            raise ValueError(f"stage must be one of {sorted(self.stages)}, got {stage!r}")
        check_positive_int(k, "k")
        return [Hit(self.chunks[c.index], c.score, c.rank, stage) for c in self.stages[stage].retrieve(question, k=k)]

    def rerank(self, question: str, hits: Sequence[Hit], *, score_cut: CalibratedCut | None = None) -> list[Hit]:
        """``hits`` reordered by the reranker (score: its raw logit), cut at ``score_cut`` when given."""
        if self.reranker is None:
            raise ValueError("this pipeline has no reranker: pass reranker= when building it")
        rows = rerank_texts(self.reranker, question, [h.chunk.text for h in hits], score_cut=score_cut)
        return [Hit(hits[r.index].chunk, r.logit, r.rank, "reranker") for r in rows]

    def context(self, question: str, *, stage: str = "hybrid", k: int = 20, budget: int = 1024, rerank: bool = True,
                tokenizer: Any = None, order: Order = "score", top_n: int | None = None,
                score_cut: CalibratedCut | None = None) -> Context:
        """Retrieve ``k`` chunks, rerank them (unless ``rerank=False``) and pack them into ``budget`` tokens."""
        hits = self.retrieve(question, stage=stage, k=k)
        if rerank:
            hits = self.rerank(question, hits, score_cut=score_cut)
        return pack_context(hits, budget=budget, tokenizer=tokenizer, order=order, top_n=top_n)
