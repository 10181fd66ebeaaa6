"""Golden scores of the real BAAI/bge-reranker-v2-m3, as published by FlagEmbedding.

Skipped cleanly when the weights are not in the Hugging Face cache
(get them with ``rerankkit download``).
"""

from __future__ import annotations

import numpy as np
import pytest

import rerankkit
from rerankkit.errors import ModelUnavailableError
from rerankkit.models.hub import fetch_model

pytestmark = pytest.mark.real_model

MODEL = "BAAI/bge-reranker-v2-m3"
PANDA_PAIRS = [
    ("what is panda?", "hi"),
    (
        "what is panda?",
        "The giant panda (Ailuropoda melanoleuca), sometimes called a panda bear or simply panda, "
        "is a bear species endemic to China.",
    ),
]
# Published by FlagEmbedding in fp16 on a GPU, hence the tolerance.
PUBLISHED = [-8.1875, 5.26171875]
TOLERANCE = 0.05


@pytest.fixture(scope="module")
def real():
    try:
        fetch_model(MODEL, download=False)
    except ModelUnavailableError:
        pytest.skip(f"{MODEL} weights are not in the Hugging Face cache (run `rerankkit download`)")
    rr = rerankkit.load(MODEL)
    assert not rr.info.random_weights
    return rr


def test_published_panda_scores(real):
    np.testing.assert_allclose(real.score(PANDA_PAIRS), PUBLISHED, atol=TOLERANCE)


def test_published_single_pair(real):
    assert real.score("query", "passage") == pytest.approx(-5.65234375, abs=TOLERANCE)


def test_real_model_shape(real):
    config = real.model.config
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads) == (1024, 24, 16)
    assert real.info.model_max_length == 8192
    assert real.info.n_parameters == pytest.approx(567.8e6, rel=1e-3)


def test_france_top1_is_paris(real):
    from rerankkit.examples import CHECK_EXAMPLES

    for query, passages in CHECK_EXAMPLES:
        assert real.rerank(query, passages)[0].index == 0
