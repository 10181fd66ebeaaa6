"""The Milvus vector store, for real (Milvus Lite files in temporary folders): build, reopen without embedding,
resume an interrupted build, refuse another encoder, search like brute force, search a subset."""

from __future__ import annotations

import numpy as np
import pytest

from rerankkit.rag.chunks import chunk_documents
from rerankkit.rag.store import EncoderMismatchError, VectorStore, milvus_uri
from rerankkit.retrieval import load_encoder

pytest.importorskip("pymilvus")
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]  # Milvus Lite starts a server process

DOCS = {f"d{i}": f"Document {i} is about topic {i % 7} and names the number {i * 13}." for i in range(40)}


def test_reopening_embeds_nothing_and_search_matches_brute_force(tiny, encoder, tmp_path):
    chunks = chunk_documents(DOCS, tiny.tokenizer)
    store = VectorStore(encoder, uri=tmp_path / "a.db").build(chunks, show_progress=False)
    assert store.embedded_now == len(chunks)
    store.close()
    reopened = VectorStore(encoder, uri=tmp_path / "a.db").build(chunks, show_progress=False)
    assert reopened.embedded_now == 0
    vectors = encoder.encode([c.text for c in chunks])
    query = encoder.encode(["topic 3"], kind="query")[0]
    expected = np.argsort(-(vectors @ query), kind="stable")[:5]
    hits = reopened.search("topic 3", 5)
    assert [row for row, _ in hits] == expected.tolist()
    np.testing.assert_allclose([s for _, s in hits], (vectors @ query)[expected], atol=1e-5)
    subset = [1, 5, 9]
    assert {row for row, _ in reopened.search("topic 3", 10, rows=subset)} == set(subset)
    retriever = reopened.retriever(subset)
    assert [c.text for c in retriever.retrieve("topic 3")] and retriever.corpus == [chunks[i].text for i in subset]
    reopened.close()


def test_another_encoder_or_other_chunks_are_refused(tiny, encoder, tmp_path):
    chunks = chunk_documents(DOCS, tiny.tokenizer)
    VectorStore(encoder, uri=tmp_path / "b.db").build(chunks, show_progress=False).close()
    other = load_encoder("tiny-random-encoder", device="cpu", max_length=64)
    object.__setattr__(other.info, "model_id", "some-other-encoder")  # same vectors' size, another name
    with pytest.raises(EncoderMismatchError, match="built with encoder 'tiny-random-encoder'.*not 'some-other-encoder'"):
        VectorStore(other, uri=tmp_path / "b.db").build(chunks, show_progress=False)
    store = VectorStore(encoder, uri=tmp_path / "b.db")
    with pytest.raises(ValueError, match="holds other chunks"):
        store.build(chunks[:-1], show_progress=False)
    assert store.build(chunks[:-1], rebuild=True, show_progress=False).embedded_now == len(chunks) - 1
    store.close()


def test_an_interrupted_build_keeps_what_it_embedded(tiny, encoder, tmp_path, monkeypatch):
    docs = {f"d{i}": f"Passage {i} " + "text " * (i % 5) for i in range(150)}
    chunks = chunk_documents(docs, tiny.tokenizer)
    store = VectorStore(encoder, uri=tmp_path / "c.db")
    calls = []
    real = encoder.encode

    def interrupted(texts, **kwargs):
        calls.append(len(texts))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(texts, **kwargs)

    monkeypatch.setattr(encoder, "encode", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.build(chunks, show_progress=False)
    monkeypatch.undo()
    assert store.build(chunks, show_progress=False).embedded_now == len(chunks) - calls[0]
    store.close()


def test_uri_from_argument_environment_or_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("RERANKKIT_MILVUS_URI", "http://127.0.0.1:19530")
    assert milvus_uri() == "http://127.0.0.1:19530"
    monkeypatch.delenv("RERANKKIT_MILVUS_URI")
    monkeypatch.setenv("RERANKKIT_CACHE", str(tmp_path))
    assert milvus_uri() == str(tmp_path / "rag" / "milvus.db")
    with pytest.raises(ValueError, match="must end in .db"):
        milvus_uri(tmp_path / "chunks.sqlite")
