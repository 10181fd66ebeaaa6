"""A dense bi-encoder (BAAI/bge-m3 by default, run with FlagEmbedding) and retrieval on its embeddings."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rerankkit._utils.checks import check_positive_int
from rerankkit._utils.environment import import_flagembedding
from rerankkit._utils.hf import quiet_transformers
from rerankkit.display.style import random_weights_note
from rerankkit.errors import ModelUnavailableError
from rerankkit.models.devices import choose_device, choose_dtype
from rerankkit.models.hub import fetch_model, local_model_folder
from rerankkit.models.synthetic import read_marker, tiny_random_encoder_path
from rerankkit.retrieval.base import Candidate, check_corpus, check_query, ranked

__all__ = ["DEFAULT_ENCODER", "EncoderInfo", "DenseEncoder", "DenseRetriever", "load_encoder"]

DEFAULT_ENCODER = "BAAI/bge-m3"
# Files BGEM3FlagModel needs: weights, the ColBERT and sparse heads, tokenizer and configs.
_ENCODER_FILES = ["*.json", "*.model", "tokenizer*", "*.pt", "pytorch_model.bin"]


@dataclass(frozen=True)
class EncoderInfo:
    """What dense encoder was loaded and where it runs."""

    model_id: str
    path: str
    device: str
    dtype: str
    dim: int
    max_length: int
    load_seconds: float
    random_weights: bool

    @property
    def label(self) -> str:
        """Short name, with a warning when the weights are random."""
        return f"{self.model_id} ({random_weights_note()})" if self.random_weights else self.model_id


class DenseEncoder:
    """A bi-encoder through FlagEmbedding's ``BGEM3FlagModel`` (dense vectors, L2-normalised).

    Create it with :func:`load_encoder`.
    """

    def __init__(self, flag, info: EncoderInfo) -> None:
        self.flag = flag
        self.info = info

    def __repr__(self) -> str:
        return f"DenseEncoder({self.info.label!r}, device={self.info.device!r})"

    def encode(self, texts: Sequence[str], *, kind: str = "passage") -> np.ndarray:
        """Unit-length vectors, one row per text; ``kind`` is ``"query"`` or ``"passage"``."""
        if kind not in ("query", "passage"):
            raise ValueError(f"kind must be 'query' or 'passage', got {kind!r}")
        texts = check_corpus(texts)

        encode = self.flag.encode_queries if kind == "query" else self.flag.encode_corpus
        # FlagEmbedding draws tqdm bars on stderr (a pink box in a notebook) whenever a call holds at least
        # batch_size texts; slices one shorter than the batch keep it quiet and still run full batches.
        size = _ENCODE_BATCH
        parts = []
        with quiet_transformers():
            for start in range(0, len(texts), size - 1):
                out = encode(texts[start:start + size - 1], batch_size=size, max_length=self.info.max_length,
                             return_dense=True, return_sparse=False, return_colbert_vecs=False)
                parts.append(np.asarray(out["dense_vecs"], dtype=np.float32).reshape(-1, self.info.dim))
        return np.concatenate(parts).reshape(len(texts), -1)


_ENCODE_BATCH = 64  # texts per forward pass of the dense encoder


def _resolve_encoder_spec(model: str | os.PathLike | None) -> str:
    if model is None:
        model = os.environ.get("RERANKKIT_ENCODER")
    if model is None:
        from rerankkit.models.synthetic import TINY_RANDOM

        # CI and offline demos run the reranker on tiny-random; pair it with the tiny encoder.
        model = "tiny-random-encoder" if os.environ.get("RERANKKIT_MODEL") == TINY_RANDOM else DEFAULT_ENCODER
    spec = os.fspath(model).strip()
    if not spec:
        raise ValueError("model is empty: pass 'BAAI/bge-m3', a folder, or 'tiny-random-encoder'")
    return spec


def _fetch_encoder(hub_id: str) -> Path:
    """bge-m3's files from the hub (or its cache), with the remedies for an encoder when unavailable."""

    try:
        return fetch_model(hub_id, allow_patterns=_ENCODER_FILES)
    except ModelUnavailableError as exc:
        raise ModelUnavailableError(
            f"dense encoder {hub_id} is unavailable: {str(exc).split('. Remedies')[0]}. Remedies: run "
            f"`hf download {hub_id}` on a machine with network access; or pass a local folder; or set "
            "RERANKKIT_ENCODER=tiny-random-encoder to run offline with random weights."
        ) from exc


def load_encoder(model: str | os.PathLike | None = None, *, device: str = "auto", dtype: str = "auto",
                 max_length: int = 512, batch_size: int = 32) -> DenseEncoder:
    """Load a dense encoder: BAAI/bge-m3, a local folder, or ``"tiny-random-encoder"``.

    The default is ``$RERANKKIT_ENCODER``; else ``tiny-random-encoder`` when
    ``$RERANKKIT_MODEL`` is ``tiny-random``; else ``BAAI/bge-m3`` (about 2.3 GB).

    Example:
        >>> enc = load_encoder("tiny-random-encoder")
        >>> enc.encode(["hello", "你好"]).shape
        (2, 32)
    """
    from rerankkit._utils.hf import quiet_transformers
    from rerankkit.models.devices import torch_dtype
    from rerankkit.scoring.info import check_max_length

    started = time.perf_counter()
    spec = _resolve_encoder_spec(model)
    resolved_device = choose_device(device)
    resolved_dtype = choose_dtype(dtype, resolved_device)
    if resolved_device == "cpu" and resolved_dtype != "fp32":
        import warnings

        # BGEM3FlagModel casts the model to fp32 whenever it encodes on CPU.
        warnings.warn(f"dtype={dtype!r}: FlagEmbedding's BGEM3FlagModel encodes in fp32 on CPU; using fp32",
                      UserWarning, stacklevel=2)
        resolved_dtype = "fp32"
    check_positive_int(batch_size, "batch_size")
    if spec == "tiny-random-encoder":
        path = tiny_random_encoder_path()
    else:
        path = local_model_folder(spec, _fetch_encoder, what="encoder")

    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(path)
    limit = (config.max_position_embeddings or 514) - (config.pad_token_id or 0) - 1
    max_length = check_max_length(max_length, limit, spec)
    BGEM3FlagModel = import_flagembedding().BGEM3FlagModel

    with quiet_transformers():
        flag = BGEM3FlagModel(os.fspath(path), use_fp16=resolved_dtype == "fp16", use_bf16=resolved_dtype == "bf16",
                              devices=[resolved_device], batch_size=batch_size, query_max_length=max_length,
                              passage_max_length=max_length, normalize_embeddings=True)
    flag.model.to(device=resolved_device, dtype=torch_dtype(resolved_dtype))
    info = EncoderInfo(
        model_id=spec, path=os.fspath(path), device=resolved_device, dtype=resolved_dtype, dim=config.hidden_size,
        max_length=max_length, load_seconds=time.perf_counter() - started,
        random_weights=bool(read_marker(path).get("random_weights", False)),
    )
    return DenseEncoder(flag, info)


class DenseRetriever:
    """Cosine similarity between a query vector and the corpus vectors of a :class:`DenseEncoder`.

    Args:
        corpus: Passages to search (encoded once, here).
        encoder: A loaded encoder, or a spec for :func:`load_encoder` (default: see there).
    """

    name = "dense"

    def __init__(self, corpus: Sequence[str], encoder: DenseEncoder | str | os.PathLike | None = None) -> None:
        self.corpus = check_corpus(corpus)
        self.encoder = encoder if isinstance(encoder, DenseEncoder) else load_encoder(encoder)
        self.vectors = self.encoder.encode(self.corpus, kind="passage")

    def scores(self, query: str) -> np.ndarray:
        """Cosine similarity of every corpus passage to the query, in [-1, 1]."""
        q = self.encoder.encode([check_query(query)], kind="query")[0]
        return (self.vectors @ q).astype(np.float64)

    def retrieve(self, query: str, k: int | None = None) -> list[Candidate]:
        """The best ``k`` passages (default all), best first."""
        return ranked(self.scores(query), self.corpus, k)
