"""Devices and dtypes: what ``"auto"`` means here, and which (device, dtype) pairs this machine can run."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import torch

__all__ = ["DEVICES", "DTYPES", "DTypeName", "choose_device", "choose_dtype", "torch_dtype", "availability"]

DEVICES = ("cpu", "cuda")
DTYPES = ("fp32", "fp16", "bf16", "int8")
DTypeName = Literal["fp32", "fp16", "bf16", "int8"]
_DTYPE_ALIASES: dict[str, DTypeName] = {
    "fp32": "fp32", "float32": "fp32", "float": "fp32",
    "fp16": "fp16", "float16": "fp16", "half": "fp16",
    "bf16": "bf16", "bfloat16": "bf16",
    "int8": "int8", "qint8": "int8",
}


def choose_device(device: str = "auto") -> str:
    """Resolve ``"auto"`` to CUDA, then Apple MPS, then CPU, and check an explicit device exists.

    Example:
        >>> choose_device("cpu")
        'cpu'
    """
    import torch

    if not isinstance(device, str) or not device.strip():
        raise TypeError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}")
    device = device.strip().lower()
    if device == "auto":
        if torch.cuda.is_available():
            return "cuda:0"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if device == "cpu":
        return "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was asked for, but torch {torch.__version__} sees no CUDA GPU. "
                "Use device='auto' or device='cpu'."
            )
        index = int(device.split(":", 1)[1]) if ":" in device else 0
        if index >= torch.cuda.device_count():
            raise ValueError(f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) are visible")
        return f"cuda:{index}"
    if device == "mps":
        if not (getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()):
            raise ValueError("device='mps' was asked for, but Apple MPS is not available. Use device='auto'.")
        return "mps"
    raise ValueError(f"unknown device {device!r}: use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'")


def choose_dtype(dtype: str | torch.dtype = "auto", device: str = "cpu") -> DTypeName:
    """Resolve ``"auto"`` (fp16 on CUDA, fp32 elsewhere); fp16 on CPU warns once and gives fp32.

    Example:
        >>> choose_dtype("auto", "cpu")
        'fp32'
    """
    import torch

    if isinstance(dtype, torch.dtype):
        dtype = {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16"}.get(dtype, str(dtype))
    if not isinstance(dtype, str):
        raise TypeError(f"dtype must be 'auto', 'fp32', 'fp16', 'bf16' or 'int8', got {dtype!r}")
    name = dtype.strip().lower()
    if name == "auto":
        return "fp16" if device.startswith("cuda") else "fp32"
    if name not in _DTYPE_ALIASES:
        raise ValueError(f"unknown dtype {dtype!r}: use 'auto', 'fp32', 'fp16', 'bf16', 'int8' or 'fastest'")
    resolved = _DTYPE_ALIASES[name]
    if resolved == "int8" and device != "cpu":
        raise ValueError(
            f"dtype='int8' is a CPU fast path, but device={device!r}: pass device='cpu', "
            "or use dtype='fp16' or 'bf16' on a GPU."
        )
    if resolved == "fp16" and device == "cpu":
        warnings.warn(
            "dtype='fp16' is not supported on CPU by FlagEmbedding (it forces fp32); using fp32. "
            "On CPU try dtype='bf16', or use a GPU for fp16.",
            UserWarning,
            stacklevel=3,
        )
        return "fp32"
    return resolved


def torch_dtype(name: str) -> torch.dtype:
    """The torch dtype for a dtype name (``fp32``, ``fp16`` or ``bf16``)."""
    import torch

    # int8 models are loaded in fp32 and then quantized (rerankkit.backends).
    return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16, "int8": torch.float32}[name]



def availability(device: str, dtype: str) -> str | None:
    """Why (device, dtype) cannot run here, or None when it can."""
    import torch

    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            return "no CUDA GPU visible to torch on this machine"
        if dtype == "int8":
            return "int8 is a CPU fast path; on a GPU use fp16 or bf16"
        if dtype == "bf16" and not torch.cuda.is_bf16_supported():
            return "this GPU does not support bf16"
    elif device == "cpu":
        if dtype == "fp16":
            return "fp16 is not supported on CPU by FlagEmbedding; use bf16 or int8 on CPU"
    else:
        return f"unknown device {device!r}: use 'cpu' or 'cuda'"
    return None
