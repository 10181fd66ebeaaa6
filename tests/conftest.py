"""Shared fixtures: the tiny random model is built and loaded once per session."""

from __future__ import annotations

import pytest

import rerankkit


@pytest.fixture(scope="session")
def tiny() -> rerankkit.Reranker:
    """The offline tiny-random reranker (real architecture, random weights)."""
    return rerankkit.load("tiny-random", device="cpu")


@pytest.fixture(scope="session")
def tiny_path(tiny) -> str:
    return tiny.info.path
