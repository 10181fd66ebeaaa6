"""int8 fast paths keep the Reranker API and agree with fp32 within a stated tolerance; random: specs."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import rerankkit
from rerankkit.backends import (
    INT8_BACKENDS,
    INT8_PREFERENCE,
    INT8_PREFERENCE_DOT,
    backend_available,
    default_int8_backend,
    quantize_int8,
)
from rerankkit.backends.base import cache_dir, export_onnx, quiet_tracing
from rerankkit.examples import DEFAULT_GROUPS
from rerankkit.measure.agreement import agreement
from rerankkit.models import synthetic
from rerankkit.models.xlmr_tokenizer import real_tokenizer_path

# The stated tolerance of an int8 path against fp32, relative to the spread of the fp32 logits
# over the groups (tiny-random's logits span several units, so absolute figures would say little).
MAX_DIFF_OF_SPREAD = 0.25
MEAN_DIFF_OF_SPREAD = 0.10
MIN_KENDALL_TAU = 0.75


def _spread(rr) -> float:
    logits = np.concatenate([rr.score(q, ps) for q, ps in DEFAULT_GROUPS])
    return float(logits.max() - logits.min())


def _within_tolerance(reference, candidate) -> bool:
    a, spread = agreement(reference, candidate), _spread(reference)
    return (a.max_abs_diff <= MAX_DIFF_OF_SPREAD * spread and a.mean_abs_diff <= MEAN_DIFF_OF_SPREAD * spread
            and a.kendall_tau_mean >= MIN_KENDALL_TAU)


def _installed(backend: str) -> bool:
    return backend_available(backend)


@pytest.fixture(scope="module")
def int8_models():
    models = {}
    for backend in INT8_BACKENDS:
        if _installed(backend):
            flag_rr = rerankkit.load("tiny-random", device="cpu", dtype="fp32")
            quantize_int8(flag_rr.flag, flag_rr.info.path, backend=backend)
            models[backend] = flag_rr
    return models


def test_load_int8_reports_dtype_and_backend():
    rr = rerankkit.load("tiny-random", device="cpu", dtype="int8")
    assert rr.info.dtype == "int8" and rr.info.backend == default_int8_backend()
    assert f"int8 ({rr.info.backend})" in str(rr.info)


def test_default_backend_is_the_fastest_installed(monkeypatch):
    import rerankkit.backends.registry as fastpaths

    monkeypatch.delenv("RERANKKIT_INT8_BACKEND", raising=False)
    monkeypatch.setattr(fastpaths, "cpu_flags", lambda: frozenset({"avx2"}))
    assert default_int8_backend() == next(b for b in INT8_PREFERENCE if backend_available(b))
    monkeypatch.setattr(fastpaths, "cpu_flags", lambda: frozenset({"avx2", "avx512_vnni"}))
    assert default_int8_backend() == next(b for b in INT8_PREFERENCE_DOT if backend_available(b))
    monkeypatch.setattr(fastpaths, "backend_available", lambda b: b == "torch")
    assert default_int8_backend() == "torch"
    monkeypatch.setenv("RERANKKIT_INT8_BACKEND", "onnxruntime")
    assert default_int8_backend() == "onnxruntime"


@pytest.mark.slow
@pytest.mark.parametrize("backend", INT8_BACKENDS)
def test_int8_backend_agrees_with_fp32_within_tolerance(backend, int8_models, tiny):
    if backend not in int8_models:
        pytest.skip(f"{backend} int8 needs extra packages")
    assert _within_tolerance(tiny, int8_models[backend])


@pytest.mark.parametrize("backend", INT8_BACKENDS)
def test_int8_backend_keeps_the_reranker_api(backend, int8_models, tiny):
    if backend not in int8_models:
        pytest.skip(f"{backend} int8 needs extra packages")
    rr = int8_models[backend]
    query, passages = DEFAULT_GROUPS[0]
    scores = rr.score(query, passages)
    assert scores.shape == (3,) and np.isfinite(scores).all()
    assert isinstance(rr.score(query, passages[0]), float)
    ranking = rr.rerank(query, passages, top_k=2)
    assert [row.rank for row in ranking] == [1, 2]
    encoded = rr.encode([(query, p) for p in passages])
    np.testing.assert_allclose(rr.forward(encoded.input_ids), scores)
    # Not the fp32 model under another name: the quantized scores differ a little.
    assert not np.array_equal(scores, tiny.score(query, passages))


def test_tolerance_check_rejects_a_different_model(tiny, tmp_path):
    """The tolerance is tight enough to catch a model with other weights."""
    other = rerankkit.load("tiny-random", device="cpu")
    with torch.no_grad():
        torch.manual_seed(1)
        for p in other.model.parameters():
            p.copy_(torch.randn_like(p) * (p.std() if p.numel() > 1 else 0.1))
    assert not _within_tolerance(tiny, other)


def test_agreement_of_a_model_with_itself_is_perfect(tiny):
    a = agreement(tiny, tiny)
    assert a.max_abs_diff == 0.0 and a.kendall_tau_min == 1.0 and a.top1_agreement == 1.0
    assert a.n_groups == len(DEFAULT_GROUPS) and a.n_pairs == sum(len(ps) for _, ps in DEFAULT_GROUPS)
    assert list(a.per_group.columns) == ["query", "n_passages", "max_abs_diff", "kendall_tau", "top1_same"]


def test_agreement_accepts_pairs_dicts_and_case_objects(tiny):
    class Case:
        query = "capital of France?"
        passages = ["Paris.", "Berlin."]

    groups = [("q", ["a", "b"]), {"query": "what is panda?", "passages": ["hi", "a bear"]}, Case()]
    assert agreement(tiny, tiny, groups).n_groups == 3
    with pytest.raises(ValueError, match=r"cases\[0\]"):
        agreement(tiny, tiny, ["not a group"])
    with pytest.raises(ValueError, match="empty"):
        agreement(tiny, tiny, [])


def test_int8_on_a_gpu_or_unknown_backend_is_a_clear_error(monkeypatch):
    with pytest.raises(ValueError, match="device='cpu'"):
        rerankkit.models.devices.choose_dtype("int8", "cuda:0")
    monkeypatch.setenv("RERANKKIT_INT8_BACKEND", "tensorrt")
    with pytest.raises(ValueError, match="int8 backend"):
        rerankkit.load("tiny-random", device="cpu", dtype="int8")


def test_onnx_export_is_cached_by_model(int8_models, tiny):
    if "onnxruntime" not in int8_models:
        pytest.skip("needs onnxruntime and onnx")

    folder = cache_dir(tiny.info.path, "onnxruntime")
    assert (folder / "model-int8.onnx").is_file() and (folder / "done").is_file()
    stamp = (folder / "model-int8.onnx").stat().st_mtime_ns
    rr = rerankkit.load("tiny-random", device="cpu", dtype="fp32")
    quantize_int8(rr.flag, rr.info.path, backend="onnxruntime")
    assert (folder / "model-int8.onnx").stat().st_mtime_ns == stamp  # reused, not exported again


# -- random:<hub id> ------------------------------------------------------------------------

def _xlmr_parameters(vocab, hidden, layers, ffn, positions, types, labels=1) -> int:
    """Parameter count of XLMRobertaForSequenceClassification, by hand."""
    embeddings = (vocab + positions + types) * hidden + 2 * hidden
    attention = 4 * (hidden * hidden + hidden) + 2 * hidden
    feed_forward = hidden * ffn + ffn + ffn * hidden + hidden + 2 * hidden
    head = hidden * hidden + hidden + hidden * labels + labels
    return embeddings + layers * (attention + feed_forward) + head


def test_random_spec_of_bge_reranker_v2_m3_has_its_shape_and_size():
    config = synthetic.random_config("random:BAAI/bge-reranker-v2-m3")
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads, config.intermediate_size,
            config.vocab_size, config.max_position_embeddings, config.type_vocab_size, config.num_labels) == (
            1024, 24, 16, 4096, 250002, 8194, 1, 1)
    assert config.architectures == ["XLMRobertaForSequenceClassification"]
    n = synthetic.count_parameters("random:BAAI/bge-reranker-v2-m3")  # built on the meta device
    assert n == _xlmr_parameters(250002, 1024, 24, 4096, 8194, 1)
    assert f"{n / 1e6:.1f}M" == "567.8M"


def test_random_spec_of_base_and_unknown_names():
    n = synthetic.count_parameters("random:BAAI/bge-reranker-base")
    assert n == _xlmr_parameters(250002, 768, 12, 3072, 514, 1)
    with pytest.raises(ValueError, match="random:BAAI/bge-reranker-v2-m3"):
        synthetic.random_shape("random:acme/unknown")


@pytest.mark.slow
def test_random_spec_loads_labelled_timing_only(monkeypatch, tmp_path, tiny):
    # XLM-R's vocabulary: the real tokenizer's 250,002 ids (and the small fallback's 8,005) all fit.
    small = dict(vocab_size=250_002, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                 max_position_embeddings=130, type_vocab_size=1)
    monkeypatch.setitem(synthetic.RANDOM_SHAPES, "acme/small-reranker", small)
    tokenizer = real_tokenizer_path()  # built for the session's tiny-random: the new cache shares it, not rebuilds it
    if tokenizer is not None:
        (tmp_path / tokenizer.name).symlink_to(tokenizer, target_is_directory=True)
    monkeypatch.setenv("RERANKKIT_CACHE", str(tmp_path))
    rr = rerankkit.load("random:acme/small-reranker", device="cpu")
    assert rr.info.random_weights and rr.info.timing_only
    assert "timing only" in rr.info.label and "timing only" in str(rr.info)
    assert rr.info.n_parameters == synthetic.count_parameters("random:acme/small-reranker")
    assert rr.info.model_max_length == 128
    marker = json.loads((tmp_path / rr.info.path.split("/")[-1] / synthetic.MARKER_FILE).read_text())
    assert marker["timing_only"] and marker["random_weights"] and marker["shape_of"] == "acme/small-reranker"
    assert rr.score("q", ["a", "b"]).shape == (2,)
    assert len(rr.tokenizer) == len(tiny.tokenizer)  # the same tokenizer as tiny-random
    # Built once: loading again reuses the folder.
    assert rerankkit.load("random:acme/small-reranker", device="cpu").info.path == rr.info.path
    assert len(list(tmp_path.glob("random-acme--small-reranker-*"))) == 1


def test_random_spec_with_a_vocabulary_too_small_for_the_tokenizer_is_refused(monkeypatch, tmp_path):
    small = dict(vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=4, intermediate_size=64,
                 max_position_embeddings=130, type_vocab_size=1)
    monkeypatch.setitem(synthetic.RANDOM_SHAPES, "acme/tiny-vocab", small)
    monkeypatch.setenv("RERANKKIT_CACHE", str(tmp_path))
    with pytest.raises(ValueError, match="vocab_size of at least"):
        rerankkit.load("random:acme/tiny-vocab", device="cpu")
    assert not list(tmp_path.glob("random-acme--tiny-vocab-*"))  # nothing half-built is left behind


def test_onnx_export_matches_torch_at_other_batch_sizes_and_lengths(tiny, tmp_path):
    """The graph is traced at batch 2, length 16; its dynamic axes must serve any shape, padding included."""
    if not backend_available("onnxruntime"):
        pytest.skip("the ONNX export needs the onnx extra: pip install 'rerankkit[onnx]'")
    import onnxruntime


    path = export_onnx(tiny.model, tmp_path / "model.onnx")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    pairs = [(q, p) for q, ps in DEFAULT_GROUPS for p in ps]
    for batch in (pairs[:1], pairs[:5], pairs):  # 1, 5 and all pairs, padded to different lengths
        enc = tiny.tokenizer([q for q, _ in batch], [p for _, p in batch], padding=True, return_tensors="pt")
        with torch.no_grad():
            expected = tiny.model(input_ids=enc.input_ids, attention_mask=enc.attention_mask).logits.numpy()
        (got,) = session.run(None, {"input_ids": enc.input_ids.numpy(), "attention_mask": enc.attention_mask.numpy()})
        assert enc.input_ids.shape[1] != 16
        np.testing.assert_allclose(got, expected, atol=1e-4)


def test_nncf_progress_bars_and_logs_stay_out_of_the_notebook(capfd):
    # Before: a first int8 build showed NNCF's rich progress bars, cut off at the output's right edge.
    import logging

    pytest.importorskip("nncf")
    from nncf.common.logging.track_progress import track

    from rerankkit.backends.providers import _quiet_nncf

    capfd.readouterr()
    with _quiet_nncf():
        for _ in track(range(3), description="Statistics collection"):
            pass
        logging.getLogger("nncf").warning("a note from NNCF")
    out, err = capfd.readouterr()
    assert "Statistics collection" not in out + err and "a note from NNCF" not in out + err
    assert logging.getLogger("nncf").level != logging.ERROR  # restored afterwards


def test_conversions_keep_transformers_notes_out_of_the_notebook():
    """Converters read every attribute of the model; transformers' note on ``loss_type`` reached a notebook's stderr."""
    import logging

    from transformers.utils import logging as hf_logging

    logger = hf_logging.get_logger("transformers.modeling_utils")
    before = logger.isEnabledFor(logging.WARNING)
    with quiet_tracing():
        assert not logger.isEnabledFor(logging.WARNING)
    assert logger.isEnabledFor(logging.WARNING) == before
