"""Loading: specs, offline cache, devices, dtypes, limits and clear errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import rerankkit
from rerankkit.errors import ModelUnavailableError
from rerankkit.models import KNOWN_MODELS, lookup
from rerankkit.models.devices import choose_device, choose_dtype
from rerankkit.models.hub import fetch_model, resolve_model_id


def test_tiny_random_info(tiny):
    info = tiny.info
    assert info.model_id == "tiny-random"
    assert info.random_weights is True
    assert "random weights" in info.label and "random weights" in str(info)
    assert info.kind == "encoder" and info.flag_class == "FlagReranker"
    assert info.device == "cpu" and info.dtype == "fp32"
    assert info.max_length == 512 and info.model_max_length == 512
    assert info.n_parameters == sum(p.numel() for p in tiny.model.parameters()) > 0
    assert info.load_seconds > 0
    assert Path(info.path, "config.json").is_file()


def test_tiny_random_is_the_real_architecture(tiny):
    from FlagEmbedding import FlagReranker
    from transformers import XLMRobertaForSequenceClassification

    assert isinstance(tiny.flag, FlagReranker)
    assert isinstance(tiny.model, XLMRobertaForSequenceClassification)
    assert tiny.model.config.num_labels == 1
    ids = tiny.tokenizer("q", "p")["input_ids"]
    # <s> q </s></s> p </s>, as in bge-reranker-v2-m3
    assert ids[0] == tiny.tokenizer.bos_token_id and ids[-1] == tiny.tokenizer.eos_token_id
    assert ids.count(tiny.tokenizer.eos_token_id) == 3
    assert "token_type_ids" not in tiny.tokenizer("q", "p")


@pytest.mark.parametrize("text", ["中国的首都是哪里?", "Москва — столица России.", "ما هي عاصمة فرنسا؟", "東京は日本の首都です。"])
def test_tiny_tokenizer_covers_scripts(tiny, text):
    tokens = tiny.tokenizer.tokenize(text)
    unk = tiny.tokenizer.unk_token
    assert tokens.count(unk) == 0
    # Han runs are split into pieces, not kept as one token per sentence.
    assert len(tokens) >= 3


def test_tiny_random_build_is_deterministic(tmp_path):
    from rerankkit.models.synthetic import build_tiny_random

    a = build_tiny_random(tmp_path / "a")
    b = build_tiny_random(tmp_path / "b")
    assert (a / "tokenizer.json").read_bytes() == (b / "tokenizer.json").read_bytes()
    assert (a / "model.safetensors").read_bytes() == (b / "model.safetensors").read_bytes()


def test_model_defaults_to_environment(monkeypatch):
    monkeypatch.setenv("RERANKKIT_MODEL", "tiny-random")
    assert resolve_model_id(None) == "tiny-random"
    monkeypatch.delenv("RERANKKIT_MODEL")
    assert resolve_model_id(None) == "BAAI/bge-reranker-v2-m3"


def test_load_from_env(monkeypatch):
    monkeypatch.setenv("RERANKKIT_MODEL", "tiny-random")
    assert rerankkit.load().info.model_id == "tiny-random"


def test_local_folder(tiny_path):
    rr = rerankkit.load(tiny_path)
    assert rr.info.path == str(Path(tiny_path).resolve())
    assert rr.info.random_weights  # the marker travels with the folder
    assert rr.info.kind == "encoder"  # unknown ids load as cross-encoders


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        rerankkit.load(str(tmp_path / "nope" / "model"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="has no config.json"):
        rerankkit.load(str(tmp_path / "empty"))


def _fake_hub_cache(cache: Path, hub_id: str, model_dir: Path) -> Path:
    """Lay out a Hugging Face hub cache entry for hub_id holding the files of model_dir."""
    repo = cache / f"models--{hub_id.replace('/', '--')}"
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for f in model_dir.iterdir():
        shutil.copy(f, snapshot / f.name)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    return snapshot


def test_hub_id_loads_offline_from_cache(tmp_path, tiny_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    snapshot = _fake_hub_cache(tmp_path, "BAAI/bge-reranker-v2-m3", Path(tiny_path))
    rr = rerankkit.load("BAAI/bge-reranker-v2-m3", cache_dir=tmp_path)
    assert rr.info.path == str(snapshot)
    assert rr.info.model_id == "BAAI/bge-reranker-v2-m3"
    assert rr.info.flag_class == "FlagReranker"
    # The limit is the smaller of the catalogue (8192) and what this model's positions allow.
    assert rr.info.model_max_length == 512
    assert rr.info.random_weights  # honest even under the real model's name
    assert isinstance(rr.score("q", "p"), float)


@pytest.mark.slow
def test_hub_id_from_cache_by_environment(tmp_path, tiny_path):
    """In a fresh process the standard cache (HF_HOME) is found by hub id alone."""
    _fake_hub_cache(tmp_path / "hub", "BAAI/bge-reranker-v2-m3", Path(tiny_path))
    env = {**os.environ, "HF_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    env.pop("RERANKKIT_MODEL", None)
    out = subprocess.run(
        [sys.executable, "-c", "import rerankkit; print(rerankkit.load().info.path)"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "models--BAAI--bge-reranker-v2-m3" in out.stdout


def test_missing_model_offline_raises_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailableError) as excinfo:
        rerankkit.load("BAAI/bge-reranker-v2-m3", cache_dir=tmp_path)
    message = str(excinfo.value)
    assert "rerankkit download" in message and "RERANKKIT_MODEL" in message and "local folder" in message


def test_missing_model_without_network_raises(tmp_path, monkeypatch):
    """Online mode with no reachable hub: one clear error, no hang (bounded by the timeout)."""
    env = {**os.environ, "HF_HOME": str(tmp_path), "HF_ENDPOINT": "http://127.0.0.1:9"}
    env.pop("HF_HUB_OFFLINE", None)
    out = subprocess.run(
        [sys.executable, "-m", "rerankkit.cli", "check", "--model", "BAAI/bge-reranker-v2-m3"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 1
    assert "model unavailable" in out.stderr and "rerankkit download" in out.stderr
    assert "Traceback" not in out.stderr


def test_download_false_never_downloads(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with pytest.raises(ModelUnavailableError, match="downloading was not allowed"):
        fetch_model("BAAI/bge-reranker-v2-m3", cache_dir=tmp_path, download=False)


def test_fp16_on_cpu_warns_once_and_uses_fp32():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rr = rerankkit.load("tiny-random", device="cpu", dtype="fp16")
    relevant = [w for w in caught if "fp16" in str(w.message)]
    assert len(relevant) == 1
    assert rr.info.dtype == "fp32" and next(rr.model.parameters()).dtype == torch.float32


def test_bf16_on_cpu_is_honoured():
    rr = rerankkit.load("tiny-random", device="cpu", dtype="bf16")
    assert rr.info.dtype == "bf16" and next(rr.model.parameters()).dtype == torch.bfloat16
    assert isinstance(rr.score("q", "p"), float)


def test_dtype_and_device_choices():
    assert choose_dtype("auto", "cpu") == "fp32"
    assert choose_dtype("auto", "cuda:0") == "fp16"
    assert choose_dtype(torch.bfloat16, "cpu") == "bf16"
    with pytest.raises(ValueError, match="unknown dtype 'fp8'"):
        choose_dtype("fp8", "cpu")
    assert choose_device("auto") in {"cpu", "cuda:0", "mps"}
    with pytest.raises(ValueError, match="unknown device"):
        choose_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on machines without CUDA")
def test_cuda_without_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="sees no CUDA GPU.*device='cpu'"):
        rerankkit.load("tiny-random", device="cuda")


def test_one_device_never_starts_a_process_pool(tiny):
    tiny.score("q", ["a", "b", "c"])
    assert tiny.flag.target_devices == ["cpu"]
    assert tiny.flag.pool is None


@pytest.mark.slow
def test_max_length_validation():
    with pytest.raises(ValueError, match="exceeds the limit of tiny-random: 512 tokens"):
        rerankkit.load("tiny-random", max_length=8192)
    with pytest.raises(ValueError, match="too small"):
        rerankkit.load("tiny-random", max_length=4)
    with pytest.raises(TypeError, match="max_length must be an int"):
        rerankkit.load("tiny-random", max_length="512")
    assert rerankkit.load("tiny-random", max_length=128).info.max_length == 128


def test_bad_model_spec():
    with pytest.raises(ValueError, match="model is empty"):
        rerankkit.load("  ")
    with pytest.raises(TypeError, match="model must be"):
        rerankkit.load(42)


@pytest.mark.parametrize(
    ("hub_id", "kind", "flag_class", "limit"),
    [
        ("BAAI/bge-reranker-v2-m3", "encoder", "FlagReranker", 8192),
        ("BAAI/bge-reranker-base", "encoder", "FlagReranker", 512),
        ("BAAI/bge-reranker-large", "encoder", "FlagReranker", 512),
        ("BAAI/bge-reranker-v2-gemma", "llm", "FlagLLMReranker", 8192),
        ("BAAI/bge-reranker-v2-minicpm-layerwise", "layerwise", "LayerWiseFlagLLMReranker", 8192),
        ("BAAI/bge-reranker-v2.5-gemma2-lightweight", "lightweight", "LightWeightFlagLLMReranker", 8192),
        ("cross-encoder/ms-marco-MiniLM-L6-v2", "encoder", "FlagReranker", 512),
    ],
)
def test_catalogue(hub_id, kind, flag_class, limit):
    import FlagEmbedding

    known = lookup(hub_id)
    assert (known.kind, known.flag_class, known.max_tokens) == (kind, flag_class, limit)
    assert hasattr(FlagEmbedding, flag_class)  # the class really exists in FlagEmbedding
    assert lookup(hub_id.lower()) == known
    assert known in KNOWN_MODELS.values()


# -- tiny-random:<hub id> ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "hub_id, architecture",
    [
        ("BAAI/bge-reranker-v2-m3", "XLMRobertaForSequenceClassification"),
        pytest.param("BAAI/bge-reranker-base", "XLMRobertaForSequenceClassification", marks=pytest.mark.slow),
        pytest.param("BAAI/bge-reranker-large", "XLMRobertaForSequenceClassification", marks=pytest.mark.slow),
        ("cross-encoder/ms-marco-MiniLM-L6-v2", "BertForSequenceClassification"),
    ],
)
def test_tiny_random_of_each_encoder_family_loads_and_scores(hub_id, architecture):
    from FlagEmbedding import FlagReranker

    rr = rerankkit.load(f"tiny-random:{hub_id}", device="cpu")
    known = lookup(hub_id)
    assert type(rr.model).__name__ == architecture and isinstance(rr.flag, FlagReranker)
    assert rr.info.model_id == f"tiny-random:{hub_id}" and rr.info.random_weights is True
    assert (rr.info.kind, rr.info.flag_class) == (known.kind, known.flag_class)
    assert rr.info.model_max_length == known.max_tokens and rr.info.licence == ""
    ranking = rr.rerank("What is the capital of France?", ["Paris is the capital of France.", "Berlin.", "hi"])
    assert len(ranking) == 3 and all(np.isfinite(row.logit) for row in ranking)


def test_tiny_bert_scores_and_counts_as_flagreranker_does():
    from FlagEmbedding import FlagReranker

    rr = rerankkit.load("tiny-random:cross-encoder/ms-marco-MiniLM-L6-v2", device="cpu")
    flag = FlagReranker(rr.info.path, use_fp16=False, devices=["cpu"])
    pairs = [("What is the capital of France?", "Paris is the capital of France."),
             ("what is panda?", "The giant panda is a bear species endemic to China."),
             ("中国的首都是哪里?", "北京是中华人民共和国的首都。"),
             ("query " * 40, "a long passage " * 200)]
    for max_length in (32, 512):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = rr.score(pairs, max_length=max_length)
        reference = flag.compute_score([list(p) for p in pairs], max_length=max_length, normalize=False)
        np.testing.assert_allclose(ours, reference, atol=1e-5)
        encoded = rr.encode(pairs, max_length=max_length)
        for (query, passage), ids in zip(pairs, encoded.input_ids):
            q = flag.tokenizer(query, add_special_tokens=False, truncation=True, max_length=max_length * 3 // 4)
            p = flag.tokenizer(passage, add_special_tokens=False, truncation=True, max_length=max_length)
            expected = flag.tokenizer(flag.tokenizer.decode(q["input_ids"]), flag.tokenizer.decode(p["input_ids"]),
                                      truncation="only_second", max_length=max_length)["input_ids"]
            assert ids == expected
    # The passage's token type matters: without it BERT scores differently.
    import torch

    batch = rr.tokenizer([pairs[0][0]], [pairs[0][1]], return_tensors="pt")
    with torch.no_grad():
        flat = rr.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.item()
    assert abs(flat - rr.score(*pairs[0])) > 1e-4


def test_int8_is_refused_for_models_with_token_types():
    with pytest.raises(ValueError, match="token_type_ids"):
        rerankkit.load("tiny-random:cross-encoder/ms-marco-MiniLM-L6-v2", dtype="int8")


def test_tiny_random_of_a_remote_code_model_is_refused():
    with pytest.raises(ValueError, match="trust_remote_code=True"):
        rerankkit.load("tiny-random:jinaai/jina-reranker-v2-base-multilingual")


# -- code from the model's repository, licences ----------------------------------------------------
@pytest.fixture
def fresh_trust_memory(monkeypatch):
    from rerankkit.models import trust

    monkeypatch.setattr(trust, "_warned_code", set())
    monkeypatch.setattr(trust, "_warned_licence", set())


@pytest.mark.slow
def test_folder_with_its_own_code_loads_only_on_request(tmp_path, tiny, fresh_trust_memory):
    from rerankkit.errors import RemoteCodeError, RemoteCodeWarning
    from rerankkit.testing import REMOTE_CODE_MODULE, remote_code_model

    folder = remote_code_model(tmp_path / "custom")
    with pytest.raises(RemoteCodeError, match="trust_remote_code=True"):
        rerankkit.load(folder)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rr = rerankkit.load(folder, trust_remote_code=True)
        again = rerankkit.load(folder, trust_remote_code=True)
    named = [w for w in caught if issubclass(w.category, RemoteCodeWarning)]
    assert len(named) == 1 and str(folder) in str(named[0].message)
    # transformers ran the folder's own class; its weights are tiny-random's, so are its scores.
    assert type(rr.model).__module__.endswith(REMOTE_CODE_MODULE)
    assert rr.score("what is panda?", "hi") == pytest.approx(tiny.score("what is panda?", "hi"), abs=1e-5)
    assert again.info.random_weights is True


def test_remote_code_hub_model_is_refused_before_any_download(monkeypatch, fresh_trust_memory):
    from rerankkit.errors import RemoteCodeError

    def no_download(*args, **kwargs):
        raise AssertionError("downloaded a model whose code was not allowed")

    monkeypatch.setattr("rerankkit.scoring.loading.fetch_model", no_download)
    with pytest.raises(RemoteCodeError, match="revision='<commit>'"):
        rerankkit.load("Alibaba-NLP/gte-multilingual-reranker-base")


@pytest.mark.slow
def test_revision_and_trust_remote_code_reach_the_hub_cache(tmp_path, monkeypatch, fresh_trust_memory):
    from rerankkit.errors import LicenceWarning, RemoteCodeWarning
    from rerankkit.testing import remote_code_model

    jina = "jinaai/jina-reranker-v2-base-multilingual"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    snapshot = _fake_hub_cache(tmp_path / "hub", jina, remote_code_model(tmp_path / "custom"))
    with pytest.raises(ModelUnavailableError, match=f"at revision {'f' * 40} is not in"), \
            pytest.warns(RemoteCodeWarning, match="at revision f"):
        rerankkit.load(jina, cache_dir=tmp_path / "hub", trust_remote_code=True, revision="f" * 40)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rr = rerankkit.load(jina, cache_dir=tmp_path / "hub", trust_remote_code=True, revision=snapshot.name)
        rerankkit.load(jina, cache_dir=tmp_path / "hub", trust_remote_code=True, revision=snapshot.name)
    code = [str(w.message) for w in caught if issubclass(w.category, RemoteCodeWarning)]
    licence = [str(w.message) for w in caught if issubclass(w.category, LicenceWarning)]
    assert len(code) == 1  # once per repository and revision
    assert f"at revision {snapshot.name}" in code[-1]
    assert len(licence) == 1 and "CC-BY-NC-4.0" in licence[0]
    assert rr.info.path == str(snapshot)
    assert rr.info.licence == "CC-BY-NC-4.0" and "licence: CC-BY-NC-4.0" in str(rr.info)


def test_info_names_the_catalogue_licence(tmp_path, tiny, tiny_path, monkeypatch, fresh_trust_memory):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    _fake_hub_cache(tmp_path, "BAAI/bge-reranker-base", Path(tiny_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error", rerankkit.errors.LicenceWarning)  # MIT allows commercial use
        rr = rerankkit.load("BAAI/bge-reranker-base", cache_dir=tmp_path)
    assert rr.info.licence == "MIT" and "licence: MIT" in str(rr.info)
    assert tiny.info.licence == ""


def test_cpu_batches_are_capped_in_tokens_by_default(tiny):
    from rerankkit.scoring.loading import CPU_MAX_BATCH_TOKENS

    assert tiny.max_batch_tokens == CPU_MAX_BATCH_TOKENS  # tiny is load("tiny-random", device="cpu")
    assert rerankkit.load("tiny-random", device="cpu", max_batch_tokens=512).max_batch_tokens == 512
    with pytest.raises(ValueError, match="max_batch_tokens"):
        rerankkit.load("tiny-random", device="cpu", max_batch_tokens=0)
