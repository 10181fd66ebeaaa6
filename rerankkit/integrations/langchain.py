"""rerankkit in LangChain: a document compressor for ``ContextualCompressionRetriever``, and the kit's Milvus
store as a LangChain retriever.

Needs ``pip install "rerankkit[langchain]"`` (langchain-core and langchain-classic, where
``ContextualCompressionRetriever`` lives in LangChain 1.x).

Example:
    >>> from langchain_core.documents import Document
    >>> compressor = RerankkitCompressor.from_model("tiny-random", top_n=1)
    >>> docs = compressor.compress_documents([Document(page_content="Paris."), Document(page_content="Rome.")], "capital?")
    >>> len(docs), sorted(docs[0].metadata)[:3]
    (1, ['rerank_logit', 'rerank_model', 'rerank_rank'])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rerankkit._utils.optional import require
from rerankkit.rag.rerank import CalibratedCut, arerank_texts, rerank_texts, shared_reranker
from rerankkit.rag.store import VectorStore
from rerankkit.scoring.reranker import Reranker

require("langchain_core", feature="the LangChain adapter")

from langchain_core.callbacks import CallbackManagerForRetrieverRun  # noqa: E402
from langchain_core.documents import BaseDocumentCompressor, Document  # noqa: E402
from langchain_core.retrievers import BaseRetriever  # noqa: E402
from pydantic import ConfigDict  # noqa: E402

__all__ = ["RerankkitCompressor", "MilvusChunkRetriever"]


def _texts(documents: Sequence[Document]) -> list[str]:
    out = []
    for i, doc in enumerate(documents):
        if not isinstance(doc, Document):
            raise TypeError(f"documents[{i}] must be a langchain Document, got {type(doc).__name__}")
        out.append(doc.page_content)
    return out


def _with_metadata(documents: Sequence[Document], rows) -> list[Document]:
    return [Document(page_content=documents[r.index].page_content, id=documents[r.index].id,
                     metadata={**documents[r.index].metadata, **r.metadata()}) for r in rows]


class RerankkitCompressor(BaseDocumentCompressor):
    """Rerank retrieved documents with any model :func:`rerankkit.load` accepts; keep the best ``top_n``.

    Each kept document gains ``rerank_logit`` (raw logit: what ranks), ``rerank_sigmoid`` (sigmoid of it, not a
    probability), ``rerank_rank``, ``rerank_truncated`` and ``rerank_tokens_cut``; with a ``score_cut``, also
    ``rerank_calibrated_probability``.

    Attributes:
        reranker: A loaded reranker (build one with :meth:`from_model` to share one load between compressors).
        top_n: Documents kept (at least 1; None keeps all).
        score_cut: A :class:`~rerankkit.rag.rerank.CalibratedCut` for this model, or None.
        max_length: Tokens per pair (default: the reranker's).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    reranker: Reranker
    top_n: int | None = 5
    score_cut: CalibratedCut | None = None
    max_length: int | None = None

    def model_post_init(self, context: Any, /) -> None:
        rerank_texts(self.reranker, "q", [], top_n=self.top_n, score_cut=self.score_cut)  # checks top_n, score_cut

    @classmethod
    def from_model(cls, model: str | Reranker = "BAAI/bge-reranker-v2-m3", *, top_n: int | None = 5,
                   score_cut: CalibratedCut | None = None, max_length: int | None = None,
                   **load_options: Any) -> RerankkitCompressor:
        """Load ``model`` once per process (:func:`rerankkit.rag.rerank.shared_reranker`) and wrap it;
        ``load_options`` go to :func:`rerankkit.load` (``dtype="int8"``, ``instruction=...``)."""
        return cls(reranker=shared_reranker(model, **load_options), top_n=top_n, score_cut=score_cut,
                   max_length=max_length)

    def compress_documents(self, documents: Sequence[Document], query: str, callbacks: Any = None
                           ) -> Sequence[Document]:
        """The best ``top_n`` documents for ``query``, best first, with the rerank metadata."""
        rows = rerank_texts(self.reranker, query, _texts(documents), top_n=self.top_n, score_cut=self.score_cut,
                            max_length=self.max_length)
        return _with_metadata(documents, rows)

    async def acompress_documents(self, documents: Sequence[Document], query: str, callbacks: Any = None
                                  ) -> Sequence[Document]:
        """:meth:`compress_documents` with scoring in a worker thread: the event loop is not blocked."""
        rows = await arerank_texts(self.reranker, query, _texts(documents), top_n=self.top_n,
                                   score_cut=self.score_cut, max_length=self.max_length)
        return _with_metadata(documents, rows)


class MilvusChunkRetriever(BaseRetriever):
    """The chunks of a built :class:`~rerankkit.rag.store.VectorStore` (Milvus) as a LangChain retriever.

    Each document's metadata holds ``chunk_id``, ``doc_id``, ``start``, ``end``, ``citation`` and
    ``vector_similarity`` (cosine).

    Attributes:
        store: A built store.
        k: Chunks returned per query.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: VectorStore
    k: int = 20

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        out = []
        for row, similarity in self.store.search(query, self.k):
            c = self.store.chunks[row]
            out.append(Document(page_content=c.text, id=c.id, metadata={**c.metadata(),
                                                                        "vector_similarity": similarity}))
        return out
