"""dtype="fastest": measured once per machine and model, cached, reported, and overridable."""

from __future__ import annotations

import json

import pytest

import rerankkit
from rerankkit.backends import INT8_BACKENDS, choose_int8_backend
from rerankkit.scoring import fastest


@pytest.fixture
def quick(monkeypatch, tmp_path):
    """Two cheap candidates, a cache in tmp_path, and a record of every measurement made."""
    measured: list[str] = []
    monkeypatch.delenv("RERANKKIT_INT8_BACKEND", raising=False)
    monkeypatch.setattr(fastest, "cache_root", lambda: tmp_path)
    monkeypatch.setattr(fastest, "_candidates", lambda: [("int8", "torch"), ("bf16", "torch")])
    real = fastest._pairs_per_second

    def timed(model, batches, n_pairs):
        measured.append(type(model).__name__)
        return real(model, batches, n_pairs)

    monkeypatch.setattr(fastest, "_pairs_per_second", timed)
    return measured


@pytest.mark.slow
def test_fastest_measures_once_then_reuses_the_cached_choice(quick, tmp_path):
    rr = rerankkit.load("tiny-random", device="cpu", dtype="fastest")
    assert len(quick) == 2 and rr.info.dtype in {"int8", "bf16"} and rr.info.backend == "torch"
    assert "measured fastest" in rr.info.backend_reason and "why" in str(rr.info)
    record = json.loads(fastest.fastest_choice_path(rr.info.path).read_text())
    assert set(record["pairs_per_s"]) == {"torch", "bf16"} and record["dtype"] == rr.info.dtype
    assert fastest.fastest_choice_path(rr.info.path).is_relative_to(tmp_path)
    again = rerankkit.load("tiny-random", device="cpu", dtype="fastest")
    assert len(quick) == 2  # nothing measured the second time
    assert (again.info.dtype, again.info.backend) == (rr.info.dtype, rr.info.backend)
    assert "cached in" in again.info.backend_reason
    assert again.score("q", ["a", "b"]).shape == (2,)


@pytest.mark.slow
def test_the_cached_choice_is_keyed_by_machine_and_model(quick, monkeypatch, tiny_path, tmp_path):
    first = fastest.fastest_choice_path(tiny_path)
    monkeypatch.setattr(fastest, "machine_key", lambda: "another-cpu")
    assert fastest.fastest_choice_path(tiny_path) != first
    other_model = tmp_path / "model"
    other_model.mkdir()
    (other_model / "config.json").write_text("{}")
    assert fastest.fastest_choice_path(other_model) not in {first, fastest.fastest_choice_path(tiny_path)}
    rerankkit.load("tiny-random", device="cpu", dtype="fastest")
    rerankkit.load("tiny-random", device="cpu", dtype="fastest")
    monkeypatch.setattr(fastest, "machine_key", lambda: "a-third-cpu")
    rerankkit.load("tiny-random", device="cpu", dtype="fastest")
    assert len(quick) == 4  # measured on each machine once


def test_fastest_may_pick_a_path_that_is_not_int8(quick, monkeypatch):
    import torch

    monkeypatch.setattr(fastest, "_pairs_per_second",
                        lambda model, batches, n: 5.0 if next(model.parameters()).dtype == torch.bfloat16 else 1.0)
    rr = rerankkit.load("tiny-random", device="cpu", dtype="fastest")
    assert rr.info.dtype == "bf16" and "not int8: bf16 won" in rr.info.backend_reason


@pytest.mark.slow
def test_the_env_override_wins_over_the_measurement(quick, monkeypatch):
    monkeypatch.setenv("RERANKKIT_INT8_BACKEND", "torch")
    rr = rerankkit.load("tiny-random", device="cpu", dtype="fastest")
    assert (rr.info.dtype, rr.info.backend) == ("int8", "torch") and not quick
    assert "RERANKKIT_INT8_BACKEND=torch overrides" in rr.info.backend_reason
    monkeypatch.setenv("RERANKKIT_INT8_BACKEND", "tensorrt")
    with pytest.raises(ValueError, match="unknown int8 backend 'tensorrt'.*RERANKKIT_INT8_BACKEND"):
        rerankkit.load("tiny-random", device="cpu", dtype="fastest")


def test_int8_says_why_its_backend(monkeypatch):
    monkeypatch.delenv("RERANKKIT_INT8_BACKEND", raising=False)
    name, reason = choose_int8_backend(frozenset({"avx2"}))
    assert name in INT8_BACKENDS and "no int8 dot-product instructions" in reason
    name, reason = choose_int8_backend(frozenset({"avx2", "avx512_vnni"}))
    assert "avx512_vnni" in reason and name in reason
    monkeypatch.setenv("RERANKKIT_INT8_BACKEND", "torch")
    rr = rerankkit.load("tiny-random", device="cpu", dtype="int8")
    assert rr.info.backend == "torch" and "RERANKKIT_INT8_BACKEND=torch overrides" in str(rr.info)


def test_fastest_off_the_cpu():
    assert fastest.gpu_fastest("cuda:0").dtype == "fp16"
    with pytest.raises(ValueError, match="dtype='fastest' runs on 'cpu' or 'cuda'"):
        fastest.gpu_fastest("mps")
    with pytest.raises(ValueError, match="one device"):
        rerankkit.load("tiny-random", device=["cpu", "cpu"], dtype="fastest")
