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
import shutil
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .cli import CHECK_EXAMPLES
from .errors import require

if TYPE_CHECKING:
    import pandas as pd

    from .reranker import Reranker

__all__ = [
    "INT8_BACKENDS",
    "INT8_PREFERENCE",
    "backend_available",
    "default_int8_backend",
    "quantize_int8",
    "Agreement",
    "agreement",
    "DEFAULT_GROUPS",
]

INT8_BACKENDS = ("torch", "onnxruntime", "openvino")
# Fastest first, by measurement (benchmarks/cpu_fast_paths.py; figures in the README and
# benchmarks/reference/). The default is the first whose packages are installed.
INT8_PREFERENCE = ("onnxruntime", "torch", "openvino")
_NEEDS = {"torch": ("torch",), "onnxruntime": ("onnxruntime", "onnx"), "openvino": ("openvino", "nncf")}


def backend_available(backend: str) -> bool:
    """Whether the packages an int8 backend needs are installed.

    Example:
        >>> backend_available("torch")
        True
    """
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in _NEEDS[backend])


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

# Query/passage groups for agreement checks when no case set is given: the classic first
# check plus a few groups with near misses, several scripts and very different lengths.
DEFAULT_GROUPS: list[tuple[str, list[str]]] = [
    *CHECK_EXAMPLES,
    (
        "what is panda?",
        [
            "hi",
            "The giant panda (Ailuropoda melanoleuca), sometimes called a panda bear or simply panda, is a bear "
            "species endemic to China.",
            "Red pandas live in the eastern Himalayas and south-western China.",
            "Panda is also the name of a Spanish software company.",
        ],
    ),
    (
        "How to improve the generalization of deep learning models?",
        [
            "Dropout, batch normalization and data augmentation reduce overfitting.",
            "Deep learning models learn representations from data with many layers.",
            "The quick brown fox jumps over the lazy dog.",
            "Early stopping and more training data also help a model generalize.",
        ],
    ),
    (
        "Какая столица России?",
        [
            "Москва — столица России.",
            "Вода кипит при температуре сто градусов Цельсия.",
            "Paris is the capital of France.",
        ],
    ),
    (
        "What is the basic principle of quantum computing?",
        [
            "Superposition and entanglement let qubits represent many states at once.",
            "Quantum computing uses qubits.",
            "Classical computers use bits that are either 0 or 1.",
            "What is the basic principle of quantum computing?",
        ],
    ),
]


# -- int8 backends ------------------------------------------------------------------------

def _cache_dir(model_path: str | os.PathLike, backend: str) -> Path:
    from .testing import cache_root

    source = Path(model_path).resolve()
    stamp = "".join(f"{p.name}:{p.stat().st_size}:{int(p.stat().st_mtime)};" for p in sorted(source.glob("*"))
                    if p.is_file())
    key = hashlib.sha256(f"{source}|{stamp}".encode()).hexdigest()[:12]
    return cache_root() / "int8" / f"{source.name}-{backend}-{key}"


class _ExportedClassifier:
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
def _quiet_tracing() -> Iterator[None]:
    """Silence the tracer's notes on Python booleans and the exporters' deprecation notices.

    They are noise here: the exported graph is checked against the torch model at other batch
    sizes and lengths than it was traced with by the tests, and on any model by agreement().
    """
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def _export_onnx(model, target: Path) -> Path:
    import torch

    require("onnx", feature="the ONNX Runtime int8 path")
    example = (torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, dtype=torch.long))
    axes = {0: "batch", 1: "sequence"}
    with _quiet_tracing():
        torch.onnx.export(
            model, example, os.fspath(target), input_names=["input_ids", "attention_mask"], output_names=["logits"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "logits": {0: "batch"}},
            opset_version=17, dynamo=False,
        )
    return target


def _atomic_build(folder: Path, build) -> Path:
    """Run ``build(workdir)`` and move the result to ``folder``; a finished folder is reused."""
    from .testing import atomic_folder

    if not (folder / "done").exists():
        with atomic_folder(folder, marker="done") as workdir:
            build(workdir)
            (workdir / "done").write_text("ok")
    return folder


def _onnxruntime_int8(model, model_path) -> _ExportedClassifier:
    import torch

    ort = require("onnxruntime", feature="the ONNX Runtime int8 path")
    quantization = require("onnxruntime.quantization", pip_name="onnxruntime", feature="the ONNX Runtime int8 path")

    def build(workdir: Path) -> None:
        # The fp32 export of a large model spills its tensors into many files: keep them apart and drop them.
        (workdir / "fp32").mkdir()
        fp32 = _export_onnx(model, workdir / "fp32" / "model.onnx")
        quantization.quantize_dynamic(os.fspath(fp32), os.fspath(workdir / "model-int8.onnx"),
                                      weight_type=quantization.QuantType.QInt8,
                                      use_external_data_format=True)  # fp32 exports of large models pass 2 GB
        shutil.rmtree(workdir / "fp32")

    folder = _atomic_build(_cache_dir(model_path, "onnxruntime"), build)
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(os.fspath(folder / "model-int8.onnx"), options, providers=["CPUExecutionProvider"])

    def run(ids, mask):
        return session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

    return _ExportedClassifier(run, model.config, "onnxruntime")


def _openvino_int8(model, model_path) -> _ExportedClassifier:
    import torch

    ov = require("openvino", feature="the OpenVINO int8 path")

    def build(workdir: Path) -> None:
        nncf = require("nncf", feature="the OpenVINO int8 path")
        example = {"input_ids": torch.ones(2, 16, dtype=torch.long), "attention_mask": torch.ones(2, 16, dtype=torch.long)}
        with _quiet_tracing():
            converted = ov.convert_model(model, example_input=example)
        compressed = nncf.compress_weights(converted, mode=nncf.CompressWeightsMode.INT8_ASYM)
        ov.save_model(compressed, os.fspath(workdir / "model-int8.xml"))

    folder = _atomic_build(_cache_dir(model_path, "openvino"), build)
    core = ov.Core()
    compiled = core.compile_model(
        os.fspath(folder / "model-int8.xml"), "CPU",
        {"INFERENCE_NUM_THREADS": torch.get_num_threads(), "PERFORMANCE_HINT": "LATENCY"},
    )
    request = compiled.create_infer_request()

    def run(ids, mask):
        return request.infer({"input_ids": ids, "attention_mask": mask})[0]

    return _ExportedClassifier(run, model.config, "openvino")


def _torch_int8(model):
    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # torch announces a move of its quantization API to torchao; the API works today.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*")
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


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
    backend = (backend or default_int8_backend()).strip().lower()
    if backend not in INT8_BACKENDS:
        raise ValueError(f"unknown int8 backend {backend!r}: use one of {', '.join(INT8_BACKENDS)}")
    model = flag.model
    if backend == "torch":
        flag.model = _torch_int8(model)
    elif backend == "onnxruntime":
        flag.model = _onnxruntime_int8(model, model_path)
    else:
        flag.model = _openvino_int8(model, model_path)
    return backend


# -- agreement ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Agreement:
    """How far a candidate's scores move from a reference's, over query/passage groups.

    Attributes:
        max_abs_diff: Largest |candidate logit - reference logit| over every pair.
        mean_abs_diff: Mean |difference| over every pair.
        kendall_tau_mean: Mean Kendall's tau between the two rankings, per group.
        kendall_tau_min: Worst group's tau (1.0 = same order).
        top1_agreement: Fraction of groups whose top passage is the same.
        n_groups: Groups compared.
        n_pairs: Pairs compared.
        per_group: One row per group (query, n_passages, max_abs_diff, kendall_tau, top1_same).
    """

    max_abs_diff: float
    mean_abs_diff: float
    kendall_tau_mean: float
    kendall_tau_min: float
    top1_agreement: float
    n_groups: int
    n_pairs: int
    per_group: pd.DataFrame = field(repr=False, compare=False)

    def as_dict(self) -> dict[str, float | int]:
        """The summary figures as a plain dict."""
        return {k: getattr(self, k) for k in ("max_abs_diff", "mean_abs_diff", "kendall_tau_mean", "kendall_tau_min",
                                               "top1_agreement", "n_groups", "n_pairs")}


def _groups(cases: Any) -> list[tuple[str, list[str]]]:
    if cases is None:
        return DEFAULT_GROUPS
    groups = []
    for i, item in enumerate(cases):
        query = getattr(item, "query", None)
        passages = getattr(item, "passages", None)
        if query is None and isinstance(item, dict):
            query, passages = item.get("query"), item.get("passages")
        if query is None and isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
            query, passages = item
        if not isinstance(query, str) or isinstance(passages, str) or not isinstance(passages, Sequence):
            raise ValueError(f"cases[{i}] must be a (query, passages) pair, a dict with 'query' and 'passages', "
                             "or an object with .query and .passages")
        passages = [getattr(p, "text", p) for p in passages]
        if len(passages) == 0:
            raise ValueError(f"cases[{i}] has no passages")
        groups.append((query, list(passages)))
    if not groups:
        raise ValueError("cases is empty: pass at least one (query, passages) group, or None for the built-in set")
    return groups


def agreement(reference: Reranker, candidate: Reranker, cases: Any = None) -> Agreement:
    """Compare a candidate reranker (e.g. int8) with a reference (e.g. fp32) on query/passage groups.

    Args:
        reference: The reranker taken as right (usually fp32).
        candidate: The reranker under test, same weights.
        cases: Groups as ``(query, passages)`` pairs, dicts or case objects with ``.query`` and
            ``.passages``; default :data:`DEFAULT_GROUPS`.

    Example:
        >>> import rerankkit
        >>> fp32 = rerankkit.load("tiny-random", device="cpu")
        >>> int8 = rerankkit.load("tiny-random", device="cpu", dtype="int8")
        >>> a = agreement(fp32, int8)
        >>> a.n_groups, 0.0 <= a.top1_agreement <= 1.0
        (6, True)
    """
    import pandas as pd
    from scipy.stats import kendalltau

    groups = _groups(cases)
    rows = []
    diffs: list[np.ndarray] = []
    for query, passages in groups:
        ref = np.asarray(reference.score(query, passages, show_progress=False), dtype=np.float64)
        cand = np.asarray(candidate.score(query, passages, show_progress=False), dtype=np.float64)
        diff = np.abs(ref - cand)
        diffs.append(diff)
        if len(passages) > 1:
            tau = kendalltau(ref, cand).statistic
            tau = 1.0 if np.isnan(tau) and np.allclose(ref, cand) else float(tau)
        else:
            tau = 1.0
        rows.append({"query": query, "n_passages": len(passages), "max_abs_diff": float(diff.max()),
                     "kendall_tau": tau, "top1_same": bool(np.argmax(ref) == np.argmax(cand))})
    per_group = pd.DataFrame(rows)
    every = np.concatenate(diffs)
    return Agreement(
        max_abs_diff=float(every.max()),
        mean_abs_diff=float(every.mean()),
        kendall_tau_mean=float(per_group["kendall_tau"].mean()),
        kendall_tau_min=float(per_group["kendall_tau"].min()),
        top1_agreement=float(per_group["top1_same"].mean()),
        n_groups=len(groups),
        n_pairs=int(every.size),
        per_group=per_group,
    )
