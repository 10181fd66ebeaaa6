"""Fixtures for the scoring tests: FlagEmbedding's own reranker on the tiny model, as the reference."""

from __future__ import annotations

import pytest
from FlagEmbedding import FlagReranker


@pytest.fixture(scope="module")
def flag(tiny_path) -> FlagReranker:
    return FlagReranker(tiny_path, use_fp16=False, devices=["cpu"])
