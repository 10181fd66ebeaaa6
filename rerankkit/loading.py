"""From a model spec to a ready :class:`~rerankkit.reranker.Reranker`.

A spec is a Hugging Face hub id, a local folder, or a built-in spec (``tiny-random``).
This module finds the files (cache first, download only when allowed), picks the device
and dtype, builds the matching FlagEmbedding class and reports what it did.
"""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .errors import ModelUnavailableError, check_positive_int
from .model_files import check_model_folder, problems
from .models import DEFAULT_MODEL, KnownModel, ModelKind, lookup
from .testing import RANDOM_PREFIX, TINY_RANDOM, random_model_path, read_marker, tiny_random_path

if TYPE_CHECKING:
    import torch

    from .reranker import Reranker

__all__ = ["ModelInfo", "load", "resolve_model_id", "fetch_model", "choose_device", "choose_dtype", "DTypeName"]

DTypeName = Literal["fp32", "fp16", "bf16", "int8"]
_DTYPE_ALIASES: dict[str, DTypeName] = {
    "fp32": "fp32", "float32": "fp32", "float": "fp32",
    "fp16": "fp16", "float16": "fp16", "half": "fp16",
    "bf16": "bf16", "bfloat16": "bf16",
    "int8": "int8", "qint8": "int8",
}
DEFAULT_MAX_LENGTH = 512
MIN_MAX_LENGTH = 16
# Files a reranker needs; skips duplicate weight formats (ONNX, .bin next to .safetensors).
_ALLOW_PATTERNS = ["*.json", "*.safetensors", "*.model", "*.txt", "*.py", "tokenizer*"]


@dataclass(frozen=True)
class ModelInfo:
    """What was loaded, where it runs and what it costs.

    Attributes:
        model_id: The spec as given (hub id, folder or ``tiny-random``).
        path: Folder the files were read from.
        kind: ``encoder``, ``llm`` or ``layerwise``.
        flag_class: FlagEmbedding class that runs the model.
        device: Torch device string, e.g. ``cpu`` or ``cuda:0``.
        dtype: ``fp32``, ``fp16`` or ``bf16``.
        max_length: Tokens per pair kept when scoring (longer pairs are cut).
        model_max_length: Most tokens per pair the model accepts.
        n_parameters: Parameter count.
        load_seconds: Wall time of :func:`load`.
        random_weights: True for built test models whose scores mean nothing.
        timing_only: True for ``random:<hub id>`` models: the real shape with random
            weights, built to measure speed and memory.
        backend: What runs the forward pass: ``torch``, or the int8 backend
            (see :mod:`rerankkit.fastpaths`).
    """

    model_id: str
    path: str
    kind: ModelKind
    flag_class: str
    device: str
    dtype: str
    max_length: int
    model_max_length: int
    n_parameters: int
    load_seconds: float
    random_weights: bool
    timing_only: bool = False
    backend: str = "torch"

    @property
    def label(self) -> str:
        """Short name for headers, with a warning when the weights are random."""
        if self.timing_only:
            return f"{self.model_id} (random weights, timing only: scores mean nothing)"
        return f"{self.model_id} (random weights: scores mean nothing)" if self.random_weights else self.model_id

    def as_dict(self) -> dict:
        """The fields as a plain dict (for JSON output)."""
        return asdict(self)

    def __str__(self) -> str:
        rows = [
            ("model", self.label),
            ("path", self.path),
            ("kind", f"{self.kind} ({self.flag_class})"),
            ("device", self.device),
            ("dtype", f"int8 ({self.backend})" if self.dtype == "int8" else self.dtype),
            ("max_length", f"{self.max_length} (model limit {self.model_max_length})"),
            ("parameters", _count(self.n_parameters)),
            ("load time", f"{self.load_seconds:.2f} s"),
        ]
        return "\n".join(f"{key:>11}: {value}" for key, value in rows)


def _count(n: int) -> str:
    return f"{n / 1e6:.1f}M" if n >= 1e6 else f"{n / 1e3:.1f}k"


def resolve_model_id(model: str | os.PathLike | None) -> str:
    """Return the spec to load: ``model``, else ``$RERANKKIT_MODEL``, else the default model.

    Example:
        >>> resolve_model_id("tiny-random")
        'tiny-random'
    """
    if model is None:
        model = os.environ.get("RERANKKIT_MODEL") or DEFAULT_MODEL
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model must be a hub id, a folder path or 'tiny-random', got {type(model).__name__}")
    spec = os.fspath(model).strip()
    if not spec:
        raise ValueError("model is empty: pass a hub id such as 'BAAI/bge-reranker-v2-m3', a folder, or 'tiny-random'")
    return spec


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _remedies(hub_id: str) -> str:
    return (
        "Remedies: run `rerankkit download --model "
        f"{hub_id}` on a machine with network access (it fills the Hugging Face cache); "
        "or pass a local folder, e.g. rerankkit.load('/path/to/model'); "
        "or set RERANKKIT_MODEL=tiny-random to explore offline with random weights."
    )


def fetch_model(
    hub_id: str,
    *,
    cache_dir: str | os.PathLike | None = None,
    download: bool = True,
    allow_patterns: list[str] | None = None,
    force: bool = False,
) -> Path:
    """Return the local folder of a hub model, from the cache or by downloading it once.

    Downloads show a progress bar. Offline (``HF_HUB_OFFLINE=1``, ``download=False`` or no
    network) a model missing from the cache raises :class:`ModelUnavailableError` at once.

    Args:
        hub_id: Repository id, e.g. ``BAAI/bge-reranker-v2-m3``.
        cache_dir: Hugging Face hub cache to use (default: the standard one).
        download: Allow downloading when the cache lacks the model.
        allow_patterns: Files to fetch (default: a reranker's config, tokenizer and safetensors weights).
        force: Download every file again, replacing a damaged or partial copy in the cache.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
    )

    cache = os.fspath(cache_dir) if cache_dir is not None else None
    patterns = allow_patterns or _ALLOW_PATTERNS
    damaged: list[str] = []
    if not force:
        with contextlib.suppress(LocalEntryNotFoundError, FileNotFoundError, OSError):
            folder = Path(snapshot_download(hub_id, cache_dir=cache, local_files_only=True, allow_patterns=patterns))
            damaged = problems(folder)
            if not damaged:
                return folder
    if damaged and (not download or _offline()):
        raise ModelUnavailableError(
            f"the cached copy of {hub_id} at {folder} is incomplete or damaged: {'; '.join(damaged)}. "
            f"Fix: run `rerankkit download --model {hub_id} --force` on a machine with network access."
        )
    if not download or _offline():
        why = "HF_HUB_OFFLINE is set" if _offline() else "downloading was not allowed"
        raise ModelUnavailableError(
            f"{hub_id} is not in the Hugging Face cache and {why}. {_remedies(hub_id)}"
        )
    try:
        folder = Path(snapshot_download(hub_id, cache_dir=cache, allow_patterns=patterns, etag_timeout=10,
                                        force_download=force or bool(damaged)))
    except (RepositoryNotFoundError, GatedRepoError) as exc:
        raise ModelUnavailableError(
            f"{hub_id} was not found on the Hugging Face Hub (or it is private or gated: log in with `hf auth login`). "
            "Check the spelling, or pass a local folder."
        ) from exc
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as exc:
        raise ModelUnavailableError(
            f"{hub_id} could not be downloaded ({type(exc).__name__}: {str(exc).splitlines()[0]}). {_remedies(hub_id)}"
        ) from exc
    return check_model_folder(folder, fix=f"run `rerankkit download --model {hub_id} --force`")


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
        raise ValueError(f"unknown dtype {dtype!r}: use 'auto', 'fp32', 'fp16', 'bf16' or 'int8'")
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

    # int8 models are loaded in fp32 and then quantized (rerankkit.fastpaths).
    return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16, "int8": torch.float32}[name]


def model_limit(config, known: KnownModel | None) -> int:
    """Most tokens per pair the model accepts, from its config and the catalogue."""
    positions = getattr(config, "max_position_embeddings", None) or 512
    if getattr(config, "model_type", "") in {"xlm-roberta", "roberta", "camembert"}:
        # These models number positions from pad_token_id + 1.
        positions -= (getattr(config, "pad_token_id", 1) or 0) + 1
    return min(positions, known.max_tokens) if known else positions


def check_max_length(max_length: int | None, limit: int, model_id: str) -> int:
    """Validate ``max_length`` against the model's limit; ``None`` gives min(512, limit)."""
    if max_length is None:
        return min(DEFAULT_MAX_LENGTH, limit)
    if isinstance(max_length, bool) or not isinstance(max_length, int):
        raise TypeError(f"max_length must be an int, got {type(max_length).__name__}")
    if max_length < MIN_MAX_LENGTH:
        raise ValueError(f"max_length={max_length} is too small: use at least {MIN_MAX_LENGTH} tokens")
    if max_length > limit:
        raise ValueError(
            f"max_length={max_length} exceeds the limit of {model_id}: {limit} tokens per pair. "
            f"Use max_length <= {limit}, or split long passages with rerankkit.textprep.chunk."
        )
    return max_length


def _flag_class(name: str):
    from .environment import import_flagembedding

    return getattr(import_flagembedding(), name)


@contextlib.contextmanager
def quiet_transformers():
    """Hide transformers' per-tensor progress bar and its info and warning logs for a block."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    level = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if was_enabled:
            hf_logging.enable_progress_bar()


def local_model_folder(spec: str, fetch: Callable[[str], Path], *, what: str = "model") -> Path:
    """The folder of a model named by a path or a hub id: an existing folder as given, else ``fetch(spec)``.

    A path that does not exist, or a folder without ``config.json``, is a ValueError naming it;
    ``what`` ("model", "encoder") names the kind of folder in those messages.

    Example:
        >>> local_model_folder("./no-such-folder", fetch_model)
        Traceback (most recent call last):
        ...
        ValueError: model folder './no-such-folder' does not exist (hub ids look like 'org/name')
    """
    folder = Path(spec).expanduser()
    if folder.is_dir():
        folder = folder.resolve()
        if not (folder / "config.json").is_file():
            raise ValueError(f"{folder} is a folder but has no config.json: point model at a saved {what} folder")
        return folder
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1:
        raise ValueError(f"{what} folder {spec!r} does not exist (hub ids look like 'org/name')")
    return fetch(spec)


def _folder_fix(spec: str, path: Path) -> str:
    if spec == TINY_RANDOM or spec.startswith(RANDOM_PREFIX):
        return f"delete {path}; rerankkit builds it again on the next load"
    if Path(spec).expanduser().is_dir():
        return ("save the model there again (model.save_pretrained(folder) and tokenizer.save_pretrained(folder)), "
                "or point model at a complete folder")
    return f"run `rerankkit download --model {spec} --force`"


def load(
    model: str | os.PathLike | None = None,
    *,
    device: str | list[str] = "auto",
    dtype: str | torch.dtype = "auto",
    max_length: int | None = None,
    batch_size: int = 32,
    cache_dir: str | os.PathLike | None = None,
) -> Reranker:
    """Load a reranker, ready to score.

    Args:
        model: Hub id (default ``$RERANKKIT_MODEL`` or ``BAAI/bge-reranker-v2-m3``), a local
            folder, ``"tiny-random"`` (a tiny random-weight model built offline), or
            ``"random:<hub id>"`` (the real shape with random weights, for timing only).
        device: ``"auto"`` (CUDA, then MPS, then CPU), a device string, or a list of several
            devices to start FlagEmbedding's multi-process pool on purpose.
        dtype: ``"auto"`` (fp16 on CUDA, fp32 elsewhere), ``"fp32"``, ``"fp16"``, ``"bf16"``, or
            ``"int8"`` (CPU only: the measured int8 fast path, see :mod:`rerankkit.fastpaths`).
        max_length: Tokens per pair kept when scoring; default 512 (or the model's limit if lower).
        batch_size: Pairs per forward pass.
        cache_dir: Hugging Face hub cache folder (default: the standard one).

    Returns:
        A :class:`~rerankkit.reranker.Reranker`.

    Raises:
        ModelUnavailableError: The model is not on disk and cannot be downloaded now.
        ValueError: A device, dtype or max_length the model or machine cannot take.

    Example:
        >>> import rerankkit
        >>> rr = rerankkit.load("tiny-random")
        >>> rr.info.random_weights, rr.info.device
        (True, 'cpu')
    """
    from .reranker import Reranker

    started = time.perf_counter()
    spec = resolve_model_id(model)
    check_positive_int(batch_size, "batch_size")
    devices = [choose_device(d) for d in device] if isinstance(device, (list, tuple)) else [choose_device(device)]
    if not devices:
        raise ValueError("device is an empty list: pass 'auto' or at least one device")
    resolved_dtype = choose_dtype(dtype, devices[0])

    if spec == TINY_RANDOM:
        path = tiny_random_path()
    elif spec.startswith(RANDOM_PREFIX):
        path = random_model_path(spec)
    else:
        path = local_model_folder(spec, lambda hub_id: fetch_model(hub_id, cache_dir=cache_dir))
    check_model_folder(path, fix=_folder_fix(spec, path))

    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(path)
    known = lookup(spec)
    kind: ModelKind = known.kind if known else "encoder"
    flag_class = known.flag_class if known else "FlagReranker"
    if resolved_dtype == "int8" and (kind != "encoder" or len(devices) > 1):
        raise ValueError(
            "dtype='int8' runs encoder rerankers on one CPU device; "
            f"{spec} is a {kind} model on {len(devices)} device(s): use dtype='fp32' or 'bf16' there."
        )
    limit = model_limit(config, known)
    max_length = check_max_length(max_length, limit, spec)

    with quiet_transformers():
        flag = _flag_class(flag_class)(
            os.fspath(path),
            use_fp16=resolved_dtype == "fp16",
            devices=devices,
            max_length=max_length,
            batch_size=batch_size,
            normalize=False,
            cache_dir=os.fspath(cache_dir) if cache_dir is not None else None,
        )
    flag.model.eval()
    flag.model.to(device=devices[0], dtype=torch_dtype(resolved_dtype))
    n_parameters = sum(p.numel() for p in flag.model.parameters())
    marker = read_marker(path)
    backend = "torch"
    if resolved_dtype == "int8":
        from .fastpaths import quantize_int8

        backend = quantize_int8(flag, path)
    info = ModelInfo(
        model_id=spec,
        path=os.fspath(path),
        kind=kind,
        flag_class=flag_class,
        device=devices[0] if len(devices) == 1 else ",".join(devices),
        dtype=resolved_dtype,
        max_length=max_length,
        model_max_length=limit,
        n_parameters=n_parameters,
        load_seconds=time.perf_counter() - started,
        random_weights=bool(marker.get("random_weights", False)),
        timing_only=bool(marker.get("timing_only", False)),
        backend=backend,
    )
    return Reranker(flag, info, batch_size=batch_size)
