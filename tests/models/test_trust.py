"""Code from a model's repository runs only on request; non-commercial licences are named."""

from __future__ import annotations

import warnings

import pytest

from rerankkit.errors import LicenceWarning, RemoteCodeError, RemoteCodeWarning
from rerankkit.models import trust
from rerankkit.models.catalogue import lookup
from rerankkit.models.synthetic import tiny_random_path
from rerankkit.testing import REMOTE_CODE_MODULE, remote_code_model

GTE = "Alibaba-NLP/gte-multilingual-reranker-base"
JINA = "jinaai/jina-reranker-v2-base-multilingual"


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch):
    monkeypatch.setattr(trust, "_warned_code", set())
    monkeypatch.setattr(trust, "_warned_licence", set())


def test_auto_map_is_read_from_the_folder(tmp_path):
    assert trust.remote_code_classes(tiny_random_path()) == {}
    classes = trust.remote_code_classes(remote_code_model(tmp_path / "m"))
    assert classes["AutoModelForSequenceClassification"] == f"{REMOTE_CODE_MODULE}.CustomReranker"


def test_catalogue_remote_code_is_refused_without_the_flag():
    with pytest.raises(RemoteCodeError) as err:
        trust.check_remote_code(GTE, known=lookup(GTE), folder=None, trust_remote_code=False, revision=None)
    message = str(err.value)
    assert GTE in message and "trust_remote_code=True" in message and "revision='<commit>'" in message


def test_folder_with_auto_map_is_refused_without_the_flag(tmp_path):
    folder = remote_code_model(tmp_path / "m")
    with pytest.raises(RemoteCodeError, match=REMOTE_CODE_MODULE):
        trust.check_remote_code(str(folder), known=None, folder=folder, trust_remote_code=False, revision=None)


def test_plain_models_pass_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trust.check_remote_code("BAAI/bge-reranker-v2-m3", known=lookup("BAAI/bge-reranker-v2-m3"),
                                folder=tiny_random_path(), trust_remote_code=False, revision=None)


def test_warns_once_per_repository_and_revision():
    def allow(revision):
        trust.check_remote_code(GTE, known=lookup(GTE), folder=None, trust_remote_code=True, revision=revision)

    with pytest.warns(RemoteCodeWarning, match="no revision pins it"):
        allow(None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        allow(None)
    with pytest.warns(RemoteCodeWarning, match=f"{GTE} runs Python code from its repository, at revision abc123"):
        allow("abc123")


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_trust_remote_code_must_be_a_bool(bad):
    with pytest.raises(TypeError, match="trust_remote_code must be True or False"):
        trust.check_remote_code(GTE, known=None, folder=None, trust_remote_code=bad, revision=None)


def test_empty_revision_is_refused():
    with pytest.raises(ValueError, match="revision must be"):
        trust.check_remote_code(GTE, known=None, folder=None, trust_remote_code=True, revision=" ")


def test_non_commercial_licence_is_named_once():
    with pytest.warns(LicenceWarning, match="CC-BY-NC-4.0"):
        trust.note_licence(JINA, lookup(JINA))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trust.note_licence(JINA, lookup(JINA))
        trust.note_licence("BAAI/bge-reranker-v2-m3", lookup("BAAI/bge-reranker-v2-m3"))
        trust.note_licence("someone/else", None)
