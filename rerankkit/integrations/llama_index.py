"""rerankkit in LlamaIndex: a node postprocessor for query engines, and the kit's Milvus store and dense
encoder as a LlamaIndex vector store and embedding model.

Needs ``pip install "rerankkit[llamaindex]"`` (llama-index-core).

Example:
    >>> from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
    >>> post = RerankkitPostprocessor.from_model("tiny-random", top_n=1)
    >>> nodes = [NodeWithScore(node=TextNode(text=t)) for t in ("Paris.", "Rome.")]
    >>> out = post.postprocess_nodes(nodes, QueryBundle("capital?"))
    >>> len(out), out[0].score == out[0].node.metadata["rerank_logit"]
    (1, True)
"""

from __future__ import annotations

from typing import Any

from rerankkit._utils.optional import require
from rerankkit.rag.rerank import CalibratedCut, arerank_texts, rerank_texts, shared_reranker
from rerankkit.rag.store import VectorStore
from rerankkit.retrieval.dense import DenseEncoder
from rerankkit.scoring.reranker import Reranker

require("llama_index.core", feature="the LlamaIndex adapter")

from llama_index.core.base.embeddings.base import BaseEmbedding  # noqa: E402
from llama_index.core.postprocessor.types import BaseNodePostprocessor  # noqa: E402
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle, TextNode  # noqa: E402
from llama_index.core.vector_stores.types import (  # noqa: E402
    BasePydanticVectorStore,
    VectorStoreQuery,
    VectorStoreQueryResult,
)
from pydantic import ConfigDict, PrivateAttr  # noqa: E402

__all__ = ["RerankkitPostprocessor", "RerankkitEmbedding", "MilvusChunkStore"]


def _texts(nodes: list[NodeWithScore]) -> list[str]:
    out = []
    for i, n in enumerate(nodes):
        if not isinstance(n, NodeWithScore) or not isinstance(n.node, TextNode):
            raise TypeError(f"nodes[{i}] must be a NodeWithScore holding a TextNode, got "
                            f"{type(getattr(n, 'node', n)).__name__}")
        out.append(n.node.get_content(metadata_mode=MetadataMode.NONE))
    return out


def _query(query_bundle: QueryBundle | None) -> str:
    if query_bundle is None:
        raise ValueError("query_bundle is None: the reranker needs the query (pass query_str= or a QueryBundle)")
    return query_bundle.query_str


def _reordered(nodes: list[NodeWithScore], rows) -> list[NodeWithScore]:
    out = []
    for r in rows:
        node = nodes[r.index].node.model_copy(deep=True)
        node.metadata.update(r.metadata())
        out.append(NodeWithScore(node=node, score=r.logit))  # the score is the raw logit, as rr.rerank's
    return out


class RerankkitPostprocessor(BaseNodePostprocessor):
    """Rerank retrieved nodes with any model :func:`rerankkit.load` accepts; keep the best ``top_n``.

    Each kept node's ``score`` becomes the raw logit, and its metadata gains ``rerank_logit``,
    ``rerank_sigmoid`` (not a probability), ``rerank_rank``, ``rerank_truncated``, ``rerank_tokens_cut``
    (and ``rerank_calibrated_probability`` with a ``score_cut``).

    Attributes:
        reranker: A loaded reranker (build one with :meth:`from_model` to share one load between postprocessors).
        top_n: Nodes kept (at least 1; None keeps all).
        score_cut: A :class:`~rerankkit.rag.rerank.CalibratedCut` for this model, or None.
        max_length: Tokens per pair (default: the reranker's).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    reranker: Reranker
    top_n: int | None = 5
    score_cut: CalibratedCut | None = None
    max_length: int | None = None

    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        rerank_texts(self.reranker, "q", [], top_n=self.top_n, score_cut=self.score_cut)  # checks top_n, score_cut

    @classmethod
    def class_name(cls) -> str:
        return "RerankkitPostprocessor"

    @classmethod
    def from_model(cls, model: str | Reranker = "BAAI/bge-reranker-v2-m3", *, top_n: int | None = 5,
                   score_cut: CalibratedCut | None = None, max_length: int | None = None,
                   **load_options: Any) -> RerankkitPostprocessor:
        """Load ``model`` once per process (:func:`rerankkit.rag.rerank.shared_reranker`) and wrap it;
        ``load_options`` go to :func:`rerankkit.load` (``dtype="int8"``, ``instruction=...``)."""
        return cls(reranker=shared_reranker(model, **load_options), top_n=top_n, score_cut=score_cut,
                   max_length=max_length)

    def _postprocess_nodes(self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
                           ) -> list[NodeWithScore]:
        rows = rerank_texts(self.reranker, _query(query_bundle), _texts(nodes), top_n=self.top_n,
                            score_cut=self.score_cut, max_length=self.max_length)
        return _reordered(nodes, rows)

    async def _apostprocess_nodes(self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
                                  ) -> list[NodeWithScore]:
        rows = await arerank_texts(self.reranker, _query(query_bundle), _texts(nodes), top_n=self.top_n,
                                   score_cut=self.score_cut, max_length=self.max_length)
        return _reordered(nodes, rows)


class RerankkitEmbedding(BaseEmbedding):
    """A kit dense encoder (:func:`rerankkit.retrieval.load_encoder`) as a LlamaIndex embedding model."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    _encoder: DenseEncoder = PrivateAttr()

    def __init__(self, encoder: DenseEncoder, **kwargs: Any) -> None:
        super().__init__(model_name=encoder.info.model_id, **kwargs)
        self._encoder = encoder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encoder.encode([query], kind="query")[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encoder.encode([text], kind="passage")[0].tolist()


class MilvusChunkStore(BasePydanticVectorStore):
    """The chunks of a built :class:`~rerankkit.rag.store.VectorStore` (Milvus) as a LlamaIndex vector store,
    for ``VectorStoreIndex.from_vector_store(store, embed_model=RerankkitEmbedding(encoder))``. Read-only:
    the kit's store is filled by :meth:`VectorStore.build`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    stores_text: bool = True
    is_embedding_query: bool = True
    _store: VectorStore = PrivateAttr()

    def __init__(self, store: VectorStore, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not store.chunks:
            raise ValueError("store holds no chunks: call store.build(chunks) first")
        self._store = store

    @property
    def client(self) -> Any:
        return self._store.client

    def add(self, nodes: Any, **kwargs: Any) -> list[str]:
        raise NotImplementedError("MilvusChunkStore is read-only: fill it with rerankkit's VectorStore.build(chunks)")

    def delete(self, ref_doc_id: str, **kwargs: Any) -> None:
        raise NotImplementedError("MilvusChunkStore is read-only: rebuild it with VectorStore.build(..., rebuild=True)")

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        if query.query_embedding is None:
            raise ValueError("query has no embedding: build the index with embed_model=RerankkitEmbedding(encoder)")
        hits = self._store.search_vector(query.query_embedding, query.similarity_top_k)
        chunks = [self._store.chunks[row] for row, _ in hits]
        nodes = [TextNode(text=c.text, id_=c.id, metadata=c.metadata()) for c in chunks]
        return VectorStoreQueryResult(nodes=nodes, similarities=[s for _, s in hits], ids=[c.id for c in chunks])
