"""Fixtures of the explain tests: a bag-of-words reranker whose every attribution has an exact answer."""

from __future__ import annotations

import pytest

import rerankkit
from rerankkit.testing import bag_of_words_reranker

# Single-piece words of the tiny-random tokenizer, so each word's weight is exact.
WEIGHTS = {"Paris": 3.0, "city": -1.25, "panda": 2.0, "bear": -0.75, "capital": 1.5}


@pytest.fixture(scope="module")
def weights() -> dict[str, float]:
    return dict(WEIGHTS)


@pytest.fixture(scope="module")
def bow() -> rerankkit.Reranker:
    return bag_of_words_reranker(WEIGHTS, bias=0.5)
