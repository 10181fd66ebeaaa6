"""Fixtures shared across folders: the tiny models are built and loaded once per session.

The session-wide ``tiny`` reranker is never changed by a test: a test that patches a reranker takes
``tiny_copy``, its own copy (the torch model and tokenizer are shared, read-only).
"""

from __future__ import annotations

import copy

import pytest

import rerankkit
from rerankkit.retrieval import DenseEncoder, load_encoder


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
