"""What a loaded model is (:class:`ModelInfo`) and the token limits it accepts."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rerankkit.display.style import random_weights_note
from rerankkit.models.catalogue import KnownModel, ModelKind

__all__ = ["ModelInfo", "model_limit", "check_max_length", "DEFAULT_MAX_LENGTH", "MIN_MAX_LENGTH"]

DEFAULT_MAX_LENGTH = 512
MIN_MAX_LENGTH = 16


@dataclass(frozen=True)
class ModelInfo:
    """What was loaded, where it runs and what it costs.

    Attributes:
        model_id: The spec as given (hub id, folder or ``tiny-random``).
        path: Folder the files were read from.
        kind: ``encoder``, ``llm``, ``layerwise`` or ``lightweight``.
        flag_class: FlagEmbedding class that runs the model, or ``AnswerTokenReranker`` for the decoders
            the kit reads itself (:mod:`rerankkit.scoring.decoder`).
        device: Torch device string, e.g. ``cpu`` or ``cuda:0``.
        dtype: ``fp32``, ``fp16``, ``bf16`` or ``int8``.
        max_length: Tokens per pair kept when scoring (longer pairs are cut).
        model_max_length: Most tokens per pair the model accepts.
        n_parameters: Parameter count.
        load_seconds: Wall time of :func:`load`.
        random_weights: True for built test models whose scores mean nothing.
        timing_only: True for ``random:<hub id>`` models: the real shape with random
            weights, built to measure speed and memory.
        backend: What runs the forward pass: ``torch``, or the int8 backend
            (see :mod:`rerankkit.backends`).
        licence: The model's licence from the catalogue (``""`` when unknown or the weights are random).
        backend_reason: Why that dtype and backend, for ``dtype="int8"`` and ``dtype="fastest"``
            (the CPU's instructions, a measurement, or ``$RERANKKIT_INT8_BACKEND``); empty otherwise.
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
    licence: str = ""
    backend_reason: str = ""

    @property
    def label(self) -> str:
        """Short name for headers, with a warning when the weights are random."""
        if self.timing_only:
            return f"{self.model_id} ({random_weights_note(timing_only=True)})"
        return f"{self.model_id} ({random_weights_note()})" if self.random_weights else self.model_id

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
            *([("why", self.backend_reason)] if self.backend_reason else []),
            ("max_length", f"{self.max_length} (model limit {self.model_max_length})"),
            ("parameters", _count(self.n_parameters)),
            ("load time", f"{self.load_seconds:.2f} s"),
        ]
        if self.licence:
            rows.append(("licence", self.licence))
        return "\n".join(f"{key:>11}: {value}" for key, value in rows)


def _count(n: int) -> str:
    return f"{n / 1e6:.1f}M" if n >= 1e6 else f"{n / 1e3:.1f}k"



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
            f"Use max_length <= {limit}, or split long passages with rerankkit.text.chunking.chunk."
        )
    return max_length
