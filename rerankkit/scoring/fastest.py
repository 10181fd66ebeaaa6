"""``dtype="fastest"``: the quickest way to run this model on this machine, measured once and remembered.

On CPU, the first load of a model times every installed int8 backend (and bf16 where the CPU
has AVX512-BF16 or AMX) on a few pairs of the packaged case sets, keeps the winner and writes
the choice, with every figure, to the rerankkit cache under a key of the CPU (model name, flags),
the thread count and the model folder. Later loads on the same machine read it back. The first
measurement builds each backend (ONNX export, OpenVINO conversion and calibration): seconds for a
small model, minutes for a large one, then cached. ``$RERANKKIT_INT8_BACKEND`` skips the
measurement and names the backend. On CUDA, ``"fastest"`` is fp16 (int8 paths are CPU-only).

Example:
    >>> import rerankkit
    >>> rr = rerankkit.load("tiny-random", device="cpu", dtype="fastest")
    >>> rr.info.dtype in {"int8", "bf16"} and "measured" in rr.info.backend_reason
    True
"""

from __future__ import annotations

import copy
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rerankkit._utils.cache import atomic_folder, cache_root
from rerankkit._utils.cpu import BF16_FLAGS, cpu_flags, cpu_model, isa_summary, machine_key
from rerankkit.backends import INT8_BACKENDS, PROVIDERS, backend_available
from rerankkit.backends.base import model_key
from rerankkit.backends.calibration import calibration_pairs
from rerankkit.backends.registry import ENV_INT8_BACKEND
from rerankkit.models.devices import DTypeName

__all__ = ["FastestChoice", "fastest_choice_path", "gpu_fastest", "choose_fastest", "MEASURE_PAIRS"]

# Pairs timed per candidate (one warm-up pass, then the best of MEASURE_ROUNDS timed passes).
MEASURE_PAIRS = 16
MEASURE_ROUNDS = 2


@dataclass(frozen=True)
class FastestChoice:
    """What ``dtype="fastest"`` settled on.

    Attributes:
        dtype: ``int8``, ``bf16``, ``fp32`` or ``fp16``.
        backend: ``torch`` or an int8 backend.
        reason: Why, in words (shown as ``backend_reason`` in :class:`~rerankkit.scoring.info.ModelInfo`).
    """

    dtype: DTypeName
    backend: str
    reason: str


def fastest_choice_path(model_path: str | os.PathLike) -> Path:
    """The cache file of the measured choice for this CPU, thread count and model folder."""
    import torch

    name = f"{Path(model_path).resolve().name}-{model_key(model_path)}-cpu{machine_key()}-{torch.get_num_threads()}t"
    return cache_root() / "fastest" / name / "choice.json"


def gpu_fastest(device: str) -> FastestChoice:
    """``dtype="fastest"`` off the CPU: fp16 on CUDA; anything else is an error that names the remedy."""
    if device.startswith("cuda"):
        return FastestChoice("fp16", "torch", "CUDA GPU: fp16 (int8 backends run on CPU only)")
    raise ValueError(f"dtype='fastest' runs on 'cpu' or 'cuda', not {device!r}: pass dtype='fp32' or 'fp16' there")


def _candidates() -> list[tuple[DTypeName, str]]:
    found: list[tuple[DTypeName, str]] = [("int8", b) for b in INT8_BACKENDS if backend_available(b)]
    if any(flag in cpu_flags() for flag in BF16_FLAGS):
        found.append(("bf16", "torch"))
    return found


def _swap(model: Any, model_path: str | os.PathLike, dtype: DTypeName, backend: str) -> Any:
    if dtype == "int8":
        return PROVIDERS[backend].quantize(model, model_path)
    import torch

    return copy.deepcopy(model).to(dtype=torch.bfloat16)


def _pairs_per_second(model: Any, batches: list[dict[str, Any]], n_pairs: int) -> float:
    import torch

    best = float("inf")
    with torch.inference_mode():
        for round_ in range(MEASURE_ROUNDS + 1):
            start = time.perf_counter()
            for batch in batches:
                model(**batch)
            if round_:  # the first pass warms up
                best = min(best, time.perf_counter() - start)
    return n_pairs / best


def _timing_batches(tokenizer: Any, batch_size: int, max_length: int) -> tuple[list[dict[str, Any]], int]:
    pairs = sorted(calibration_pairs(MEASURE_PAIRS), key=lambda p: len(p[0]) + len(p[1]), reverse=True)
    step = max(1, min(batch_size, len(pairs)))
    batches = []
    for start in range(0, len(pairs), step):
        chunk = pairs[start:start + step]
        encoded = tokenizer([q for q, _ in chunk], [p for _, p in chunk], padding=True, truncation="only_second",
                            max_length=max_length, return_tensors="pt")
        batches.append({"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]})
    return batches, len(pairs)


def _reason_from(record: dict[str, Any], cached: Path | None) -> str:
    rates = ", ".join(f"{name} {rate:.2f}" for name, rate in sorted(record["pairs_per_s"].items(), key=lambda kv: -kv[1]))
    kind = "" if record["dtype"] == "int8" else f" (not int8: {record['dtype']} won here)"
    where = f"; cached in {cached}" if cached else ""
    return (f"measured fastest{kind} on this machine ({record['cpu']}; {' '.join(record['isa']) or 'no flags read'}; "
            f"{record['threads']} threads) on {record['n_pairs']} case pairs, pairs/s: {rates}{where}")


def choose_fastest(flag: Any, model_path: str | os.PathLike, *, batch_size: int, max_length: int,
                   remeasure: bool = False) -> FastestChoice:
    """Put the fastest path into ``flag.model`` (a FlagReranker loaded in fp32 on CPU) and say which and why.

    Reads the cached choice (:func:`fastest_choice_path`) unless ``remeasure``; else times every
    candidate and caches the result. ``$RERANKKIT_INT8_BACKEND`` skips both and uses that backend.
    """
    import torch

    override = os.environ.get(ENV_INT8_BACKEND, "").strip().lower()
    if override:
        if override not in PROVIDERS:
            raise ValueError(f"unknown int8 backend {override!r} in ${ENV_INT8_BACKEND}: use one of "
                             f"{', '.join(INT8_BACKENDS)}, or unset it to let dtype='fastest' measure")
        flag.model = _swap(flag.model, model_path, "int8", override)
        return FastestChoice("int8", override, f"{ENV_INT8_BACKEND}={override} overrides the measured choice")
    path = fastest_choice_path(model_path)
    if path.is_file() and not remeasure:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record["dtype"] == "bf16" or backend_available(record["backend"]):
            flag.model = _swap(flag.model, model_path, record["dtype"], record["backend"])
            return FastestChoice(record["dtype"], record["backend"], _reason_from(record, path))

    batches, n_pairs = _timing_batches(flag.tokenizer, batch_size, max_length)
    fp32 = flag.model
    rates: dict[str, float] = {}
    best: tuple[float, DTypeName, str, Any] | None = None
    for dtype, backend in _candidates():
        candidate = _swap(fp32, model_path, dtype, backend)
        label = backend if dtype == "int8" else dtype
        rates[label] = _pairs_per_second(candidate, batches, n_pairs)
        if best is None or rates[label] > best[0]:
            best = (rates[label], dtype, backend, candidate)
        del candidate
    assert best is not None  # torch int8 needs nothing extra: there is always a candidate
    _, dtype, backend, model = best
    record = dict(dtype=dtype, backend=backend, pairs_per_s=rates, cpu=cpu_model(), isa=isa_summary(),
                  threads=torch.get_num_threads(), n_pairs=n_pairs, batch_size=batch_size,
                  date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), model=os.fspath(model_path))
    with atomic_folder(path.parent, marker=path.name) as workdir:
        (workdir / path.name).write_text(json.dumps(record, indent=2), encoding="utf-8")
    flag.model = model
    return FastestChoice(dtype, backend, _reason_from(record, None))
