"""The LangChain adapter inside LangChain: a ContextualCompressionRetriever over the Milvus Lite collection."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

pytest.importorskip("langchain_classic")

from langchain_classic.retrievers import ContextualCompressionRetriever  # noqa: E402
from langchain_core.documents import Document  # noqa: E402

from rerankkit.integrations.langchain import MilvusChunkRetriever, RerankkitCompressor  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]
QUESTION = "What is the capital of France?"


def test_compression_retriever_returns_rr_rerank_order_and_scores(rag_store, tiny):
    base = MilvusChunkRetriever(store=rag_store, k=20)
    candidates = base.invoke(QUESTION)
    assert len(candidates) == 20 and candidates[0].metadata["citation"]
    retriever = ContextualCompressionRetriever(base_compressor=RerankkitCompressor(reranker=tiny, top_n=5),
                                               base_retriever=base)
    docs = retriever.invoke(QUESTION)
    expected = tiny.rerank(QUESTION, [d.page_content for d in candidates])
    assert [d.metadata["chunk_id"] for d in docs] == [candidates[i].metadata["chunk_id"] for i in expected.indices[:5]]
    np.testing.assert_allclose([d.metadata["rerank_logit"] for d in docs], expected.logits[:5])
    np.testing.assert_allclose([d.metadata["rerank_sigmoid"] for d in docs], expected.scores[:5])
    assert [d.metadata["rerank_rank"] for d in docs] == [1, 2, 3, 4, 5]
    # The async path (ainvoke -> acompress_documents, scoring in a thread) gives the same documents.
    again = asyncio.run(retriever.ainvoke(QUESTION))
    assert [d.metadata["chunk_id"] for d in again] == [d.metadata["chunk_id"] for d in docs]


def test_bad_input_and_empty_list(tiny):
    compressor = RerankkitCompressor(reranker=tiny, top_n=2)
    assert compressor.compress_documents([], QUESTION) == []
    with pytest.raises(ValueError, match="query is empty"):
        compressor.compress_documents([Document(page_content="x")], "")
    with pytest.raises(TypeError, match=r"documents\[0\] must be a langchain Document"):
        compressor.compress_documents(["plain text"], QUESTION)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="top_n"):
        RerankkitCompressor(reranker=tiny, top_n=0)


@pytest.mark.parametrize(("spec", "options"), [
    ("tiny-random", {"dtype": "int8"}),
    ("tiny-random:Qwen/Qwen3-Reranker-0.6B", {"instruction": "Given a question, find passages that answer it"}),
])
def test_any_model_load_accepts(spec, options):
    compressor = RerankkitCompressor.from_model(spec, top_n=2, device="cpu", **options)
    docs = [Document(page_content=t) for t in ("Paris is in France.", "Bread.", "Lyon is a French city.")]
    out = compressor.compress_documents(docs, QUESTION)
    expected = compressor.reranker.rerank(QUESTION, [d.page_content for d in docs])
    assert [d.page_content for d in out] == [docs[i].page_content for i in expected.indices[:2]]
    assert RerankkitCompressor.from_model(spec, device="cpu", **options).reranker is compressor.reranker  # one load
