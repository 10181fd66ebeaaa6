"""The int8 providers by name, the measured order of preference, and the swap :func:`rerankkit.load` makes."""

from __future__ import annotations

import os
from typing import Any

from rerankkit.backends.base import Int8Provider
from rerankkit.backends.providers import OnnxRuntimeInt8, OpenVinoInt8, TorchInt8

__all__ = ["PROVIDERS", "INT8_BACKENDS", "INT8_PREFERENCE", "backend_available", "default_int8_backend", "quantize_int8"]

PROVIDERS: dict[str, Int8Provider] = {p.name: p for p in (TorchInt8(), OnnxRuntimeInt8(), OpenVinoInt8())}
INT8_BACKENDS = tuple(PROVIDERS)
# Fastest first, by measurement (benchmarks/cpu_fast_paths.py; figures in the README and
# benchmarks/reference/). The default is the first whose packages are installed.
INT8_PREFERENCE = ("onnxruntime", "torch", "openvino")


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


def default_int8_backend() -> str:
    """``$RERANKKIT_INT8_BACKEND``, else the fastest measured backend that is installed.

    Example:
        >>> default_int8_backend() in INT8_BACKENDS
        True
    """
    chosen = os.environ.get("RERANKKIT_INT8_BACKEND", "").strip().lower()
    if chosen:
        return chosen
    return next(b for b in INT8_PREFERENCE if backend_available(b))


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
