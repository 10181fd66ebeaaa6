"""The LlamaIndex adapter inside LlamaIndex: a VectorStoreIndex query engine over the Milvus Lite collection."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

pytest.importorskip("llama_index.core")

from llama_index.core import VectorStoreIndex  # noqa: E402
from llama_index.core.llms.mock import MockLLM  # noqa: E402
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode  # noqa: E402

from rerankkit.integrations.llama_index import MilvusChunkStore, RerankkitEmbedding, RerankkitPostprocessor  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]
QUESTION = "What is the capital of France?"


def test_query_engine_returns_rr_rerank_order_and_scores(rag_store, tiny):
    index = VectorStoreIndex.from_vector_store(MilvusChunkStore(rag_store),
                                               embed_model=RerankkitEmbedding(rag_store.encoder))
    candidates = index.as_retriever(similarity_top_k=20).retrieve(QUESTION)
    assert len(candidates) == 20
    engine = index.as_query_engine(llm=MockLLM(), similarity_top_k=20,
                                   node_postprocessors=[RerankkitPostprocessor(reranker=tiny, top_n=5)])
    response = engine.query(QUESTION)
    expected = tiny.rerank(QUESTION, [n.node.get_content() for n in candidates])
    got = response.source_nodes
    assert [n.node.node_id for n in got] == [candidates[i].node.node_id for i in expected.indices[:5]]
    np.testing.assert_allclose([n.score for n in got], expected.logits[:5])
    np.testing.assert_allclose([n.node.metadata["rerank_sigmoid"] for n in got], expected.scores[:5])
    assert got[0].node.metadata["citation"]
    again = asyncio.run(engine.aquery(QUESTION))  # async: scoring in a thread
    assert [n.node.node_id for n in again.source_nodes] == [n.node.node_id for n in got]


def test_bad_input_and_empty_list(tiny):
    post = RerankkitPostprocessor(reranker=tiny, top_n=2)
    assert post.postprocess_nodes([], QueryBundle(QUESTION)) == []
    node = NodeWithScore(node=TextNode(text="Paris."))
    with pytest.raises(ValueError, match="query is empty"):
        post.postprocess_nodes([node], QueryBundle(""))
    with pytest.raises(ValueError, match="query_bundle is None"):
        post.postprocess_nodes([node])
    with pytest.raises(TypeError, match=r"nodes\[0\] must be a NodeWithScore"):
        post.postprocess_nodes(["Paris."], QueryBundle(QUESTION))  # type: ignore[list-item]
    with pytest.raises(ValueError, match="top_n"):
        RerankkitPostprocessor(reranker=tiny, top_n=0)


def test_one_load_shared_across_postprocessors():
    a = RerankkitPostprocessor.from_model("tiny-random", top_n=1, device="cpu")
    b = RerankkitPostprocessor.from_model("tiny-random", top_n=3, device="cpu")
    assert a.reranker is b.reranker
