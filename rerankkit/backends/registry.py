"""The int8 providers by name, which one this CPU gets (and why), and the swap :func:`rerankkit.load` makes."""

from __future__ import annotations

import os
from typing import Any

from rerankkit._utils.cpu import INT8_DOT_FLAGS, cpu_flags
from rerankkit.backends.base import Int8Provider
from rerankkit.backends.providers import OnnxRuntimeInt8, OpenVinoInt8, OpenVinoStaticInt8, TorchInt8

__all__ = ["PROVIDERS", "INT8_BACKENDS", "INT8_PREFERENCE", "INT8_PREFERENCE_DOT", "ENV_INT8_BACKEND",
           "backend_available", "default_int8_backend", "choose_int8_backend", "quantize_int8"]

ENV_INT8_BACKEND = "RERANKKIT_INT8_BACKEND"
PROVIDERS: dict[str, Int8Provider] = {
    p.name: p for p in (TorchInt8(), OnnxRuntimeInt8(), OpenVinoInt8(), OpenVinoStaticInt8())
}
INT8_BACKENDS = tuple(PROVIDERS)
# Fastest first, by measurement (benchmarks/cpu_fast_paths.py; figures in docs/performance.md and benchmarks/reference/).
# The order depends on the CPU: the first whose packages are installed is the default.
# On a CPU without int8 dot-product instructions (AVX2 only), measured 2026-11-22:
INT8_PREFERENCE = ("onnxruntime", "torch", "openvino", "openvino-static")
# On a CPU with VNNI or AMX (INT8_DOT_FLAGS), where static int8 runs the matmuls themselves in int8:
INT8_PREFERENCE_DOT = ("openvino-static", "openvino", "onnxruntime", "torch")


def _provider(backend: str) -> Int8Provider:
    name = backend.strip().lower()
    if name not in PROVIDERS:
        raise ValueError(f"unknown int8 backend {backend!r}: use one of {', '.join(INT8_BACKENDS)}")
    return PROVIDERS[name]


def backend_available(backend: str) -> bool:
    """Whether the packages an int8 backend needs are installed.

    Example:
        >>> backend_available("torch")
        True
    """
    return _provider(backend).is_available()


def choose_int8_backend(flags: frozenset[str] | None = None) -> tuple[str, str]:
    """The int8 backend for this CPU and the reason, in words.

    ``$RERANKKIT_INT8_BACKEND`` wins; otherwise the first installed backend of
    :data:`INT8_PREFERENCE_DOT` on a CPU with int8 dot-product instructions (``flags``, default
    :func:`~rerankkit._utils.cpu.cpu_flags`), else of :data:`INT8_PREFERENCE`.

    Example:
        >>> choose_int8_backend(frozenset({"avx2"}))[1].startswith(("no int8 dot", "RERANKKIT"))
        True
    """
    chosen = os.environ.get(ENV_INT8_BACKEND, "").strip().lower()
    if chosen:
        _provider(chosen)
        return chosen, f"{ENV_INT8_BACKEND}={chosen} overrides the choice by CPU"
    have = cpu_flags() if flags is None else flags
    dot = [flag for flag in INT8_DOT_FLAGS if flag in have]
    order = INT8_PREFERENCE_DOT if dot else INT8_PREFERENCE
    name = next(b for b in order if backend_available(b))
    if dot:
        reason = (f"the CPU has {', '.join(dot)} (int8 dot products): {name} is the first installed of "
                  f"{', '.join(order)}, fastest first as measured on such a CPU")
    else:
        reason = (f"no int8 dot-product instructions ({', '.join(INT8_DOT_FLAGS)}) on this CPU: {name} is the first "
                  f"installed of {', '.join(order)}, fastest first as measured on an AVX2 CPU")
    return name, reason


def default_int8_backend() -> str:
    """``$RERANKKIT_INT8_BACKEND``, else the fastest measured backend for this CPU that is installed.

    Example:
        >>> default_int8_backend() in INT8_BACKENDS
        True
    """
    return choose_int8_backend()[0]


def quantize_int8(flag: Any, model_path: str | os.PathLike, backend: str | None = None) -> str:
    """Swap the model of a loaded FlagReranker for an int8 one; return the backend name.

    Called by :func:`rerankkit.load` for ``dtype="int8"``. ``backend`` is one of
    :data:`INT8_BACKENDS` (default: :func:`default_int8_backend`).

    Example:
        >>> import rerankkit
        >>> rr = rerankkit.load("tiny-random", device="cpu", dtype="int8")
        >>> rr.info.dtype, rr.info.backend == default_int8_backend()
        ('int8', True)
    """
    provider = _provider(backend or default_int8_backend())
    flag.model = provider.quantize(flag.model, model_path)
    return provider.name
