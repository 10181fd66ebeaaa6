"""Fast paths: int8 on CPU, and how far their scores move from fp32.

``rerankkit.load(model, device="cpu", dtype="int8")`` loads the model in fp32 and hands its
forward pass to an int8 backend. Three maintained options exist, and all three are here so
their cost and agreement can be measured on your own model (``benchmarks/cpu_fast_paths.py``):

- ``torch``: :func:`torch.ao.quantization.quantize_dynamic` on every ``nn.Linear``
  (int8 weights, activations quantized per batch). No extra package.
- ``onnxruntime``: export to ONNX (dynamic batch and sequence axes), then
  :func:`onnxruntime.quantization.quantize_dynamic`. Needs ``onnx`` and ``onnxruntime``.
- ``openvino``: :func:`openvino.convert_model` straight from PyTorch, then NNCF's int8
  weight compression; OpenVINO's CPU plugin runs it. Needs ``openvino`` and ``nncf``.

Exported files are cached in the rerankkit cache, keyed by the model folder, so the export
cost is paid once. Whatever the backend, the :class:`~rerankkit.Reranker` API is unchanged:
``score``, ``rerank``, ``encode`` and ``forward`` all run through it.

:func:`agreement` says what int8 costs: the largest |difference| of raw logits against fp32,
Kendall's tau between the two rankings of each group, and how often the top passage is the same.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rerankkit._utils.cache import atomic_folder, cache_root
from rerankkit._utils.hf import quiet_transformers
from rerankkit._utils.optional import is_installed, require

__all__ = ["Int8Provider", "ExportedClassifier", "model_key", "cache_dir", "atomic_build", "export_onnx", "quiet_tracing"]


class Int8Provider(Protocol):
    """One int8 backend: what it needs, whether it is installed, and how it swaps a model for an int8 one.

    Attributes:
        name: The backend's name in ``dtype="int8"`` settings (``RERANKKIT_INT8_BACKEND``).
        packages: Import names it needs.
        extra: The rerankkit extra that installs them (``None``: nothing extra).
    """

    name: str
    packages: tuple[str, ...]
    extra: str | None

    def is_available(self) -> bool:
        """Whether every package it needs is installed."""
        ...

    def quantize(self, model: Any, model_path: str | os.PathLike) -> Any:
        """An int8 stand-in for ``model`` (a Hugging Face sequence classifier) that keeps its call interface."""
        ...


def packages_installed(packages: tuple[str, ...]) -> bool:
    """Whether every import name in ``packages`` is installed."""
    return all(is_installed(name) for name in packages)


def model_key(model_path: str | os.PathLike) -> str:
    """A short id of a model folder: its path and its files' names, sizes and times (a changed file, a new key)."""
    source = Path(model_path).resolve()
    stamp = "".join(f"{p.name}:{p.stat().st_size}:{int(p.stat().st_mtime)};" for p in sorted(source.glob("*"))
                    if p.is_file())
    return hashlib.sha256(f"{source}|{stamp}".encode()).hexdigest()[:12]


def cache_dir(model_path: str | os.PathLike, backend: str) -> Path:
    """Where a backend's build of this model folder is cached."""
    return cache_root() / "int8" / f"{Path(model_path).resolve().name}-{backend}-{model_key(model_path)}"


class ExportedClassifier:
    """Stands in for the Hugging Face model: called with input ids and mask, returns ``.logits``.

    Keeps ``config`` and ``device`` so code written for the torch model (rerankkit's
    forward, FlagEmbedding's compute_score) runs unchanged.
    """

    def __init__(self, run, config, backend: str) -> None:
        import torch

        self._run = run
        self.config = config
        self.backend = backend
        self.device = torch.device("cpu")
        self.dtype = torch.float32

    def __call__(self, input_ids=None, attention_mask=None, **_: Any):
        import torch
        from transformers.modeling_outputs import SequenceClassifierOutput

        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        ids = np.ascontiguousarray(input_ids.cpu().numpy().astype(np.int64))
        mask = np.ascontiguousarray(attention_mask.cpu().numpy().astype(np.int64))
        return SequenceClassifierOutput(logits=torch.from_numpy(np.asarray(self._run(ids, mask), dtype=np.float32)))

    def eval(self):
        return self

    def to(self, *_, **__):
        return self

    def parameters(self):
        return iter(())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(backend={self.backend!r})"


@contextlib.contextmanager
def quiet_tracing() -> Iterator[None]:
    """Silence the tracer's notes on Python booleans, the exporters' deprecation notices and transformers' logs.

    They are noise here: the exported graph is checked against the torch model at other batch
    sizes and lengths than it was traced with by the tests, and on any model by agreement().
    transformers logs a note on ``loss_type`` when a converter reads the model's ``loss_function``.
    """
    import torch

    with warnings.catch_warnings(), quiet_transformers():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        # Converters read every attribute of the model, deprecated properties of transformers included.
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        yield


def export_onnx(model, target: Path) -> Path:
    import torch

    require("onnx", feature="the ONNX Runtime int8 path")
    example = (torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, dtype=torch.long))
    axes = {0: "batch", 1: "sequence"}
    with quiet_tracing():
        torch.onnx.export(
            model, example, os.fspath(target), input_names=["input_ids", "attention_mask"], output_names=["logits"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "logits": {0: "batch"}},
            opset_version=17, dynamo=False,
        )
    return target


def atomic_build(folder: Path, build) -> Path:
    """Run ``build(workdir)`` and move the result to ``folder``; a finished folder is reused."""

    if not (folder / "done").exists():
        with atomic_folder(folder, marker="done") as workdir:
            build(workdir)
            (workdir / "done").write_text("ok")
    return folder


