"""First-stage retrieval baselines: BM25 (words) and a dense bi-encoder (BAAI/bge-m3).

Both rank a fixed corpus for a query and return :class:`Candidate` rows with scores, the
input to retrieve-then-rerank (:mod:`rerankkit.pipeline`).

**BM25 tokenization.** Text is NFKC-normalised and case-folded. Runs of Han, kana and hangul
become overlapping character bigrams (a lone character stays a unigram), as Lucene's
``CJKAnalyzer`` does; every other script splits into words (letters, marks and digits). This
needs no dictionary, treats Chinese, Japanese and Korean alike, and lets ``首都`` in a query
match ``首都`` inside a longer run. No stemming and no stop words: BM25's IDF already
discounts words found in every passage. Scoring is ``bm25s`` (Lucene's BM25 variant).

Example:
    >>> tokenize("中国的首都是哪里")
    ['中国', '国的', '的首', '首都', '都是', '是哪', '哪里']
    >>> bm25 = BM25Retriever(["Paris is the capital of France.", "Berlin is in Germany."])
    >>> top = bm25.retrieve("capital of France", k=1)[0]
    >>> top.index, top.rank
    (0, 1)
"""

from __future__ import annotations

import os
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelUnavailableError, check_positive_int

__all__ = [
    "tokenize",
    "Candidate",
    "BM25Retriever",
    "DenseEncoder",
    "EncoderInfo",
    "DenseRetriever",
    "load_encoder",
    "DEFAULT_ENCODER",
]

DEFAULT_ENCODER = "BAAI/bge-m3"
# Files BGEM3FlagModel needs: weights, the ColBERT and sparse heads, tokenizer and configs.
_ENCODER_FILES = ["*.json", "*.model", "tokenizer*", "*.pt", "pytorch_model.bin"]
_CJK_RANGES = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3130, 0x318F),  # Hangul compatibility Jamo
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x2FA1F),  # CJK extensions B and later
)


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def tokenize(text: str) -> list[str]:
    """Split text into BM25 terms: words for alphabetic scripts, character bigrams for CJK runs.

    Example:
        >>> tokenize("Was ist die Hauptstadt? 東京は日本の首都です。")
        ['was', 'ist', 'die', 'hauptstadt', '東京', '京は', 'は日', '日本', '本の', 'の首', '首都', '都で', 'です']
        >>> tokenize("पानी 100 °C")
        ['पानी', '100', 'c']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text).casefold()
    tokens: list[str] = []
    run: list[str] = []
    run_is_cjk = False

    def flush() -> None:
        if not run:
            return
        if run_is_cjk:
            tokens.extend(run if len(run) == 1 else ["".join(run[i : i + 2]) for i in range(len(run) - 1)])
        else:
            tokens.append("".join(run))
        run.clear()

    for ch in text:
        if _is_cjk(ch):
            if not run_is_cjk:
                flush()
                run_is_cjk = True
            run.append(ch)
        elif unicodedata.category(ch)[0] in "LMN":  # letters, combining marks (Devanagari, Arabic), digits
            if run_is_cjk:
                flush()
                run_is_cjk = False
            run.append(ch)
        else:
            flush()
    flush()
    return tokens


@dataclass(frozen=True)
class Candidate:
    """One retrieved passage.

    Attributes:
        rank: 1 for the best.
        index: Position in the retriever's corpus.
        score: The retriever's score (BM25 score, or cosine similarity for dense).
        text: The passage.
    """

    rank: int
    index: int
    score: float
    text: str


def _check_corpus(corpus: object) -> list[str]:
    if isinstance(corpus, str) or not isinstance(corpus, Sequence):
        raise TypeError(f"corpus must be a list of str, got {type(corpus).__name__}")
    if not corpus:
        raise ValueError("corpus is empty: pass at least one passage")
    for i, text in enumerate(corpus):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"corpus[{i}] must be a non-empty str, got {text!r}")
    return list(corpus)


def _check_query(query: object) -> str:
    if not isinstance(query, str) or not query.strip():
        raise ValueError(f"query must be a non-empty str, got {query!r}")
    return query


def _ranked(scores: np.ndarray, corpus: list[str], k: int | None) -> list[Candidate]:
    check_positive_int(k, "k", allow_none=True)
    order = np.argsort(-scores, kind="stable")[: k or len(corpus)]  # ties keep corpus order
    return [Candidate(rank=r, index=int(i), score=float(scores[i]), text=corpus[i]) for r, i in enumerate(order, 1)]


class BM25Retriever:
    """BM25 over a fixed corpus (``bm25s``, Lucene variant), with CJK-aware :func:`tokenize`.

    Args:
        corpus: Passages to search.
        k1: Term-frequency saturation.
        b: Length normalisation.
        tokenizer: Text to terms (default :func:`tokenize`).
    """

    name = "bm25"

    def __init__(self, corpus: Sequence[str], *, k1: float = 1.5, b: float = 0.75,
                 tokenizer: Callable[[str], list[str]] = tokenize) -> None:
        from .errors import require

        bm25s = require("bm25s", feature="BM25 retrieval")
        self.corpus = _check_corpus(corpus)
        self.tokenizer = tokenizer
        docs = [tokenizer(text) or ["\u2205"] for text in self.corpus]  # a placeholder keeps term-less passages
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        self._bm25.index(docs, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every corpus passage for the query (0 where no term matches)."""
        known = [t for t in self.tokenizer(_check_query(query)) if t in self._bm25.vocab_dict]
        if not known:
            return np.zeros(len(self.corpus))
        return np.asarray(self._bm25.get_scores(known), dtype=np.float64)

    def retrieve(self, query: str, k: int | None = None) -> list[Candidate]:
        """The best ``k`` passages (default all), best first."""
        return _ranked(self.scores(query), self.corpus, k)


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
        return f"{self.model_id} (random weights: scores mean nothing)" if self.random_weights else self.model_id


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
        texts = _check_corpus(texts)
        from .loading import quiet_transformers

        encode = self.flag.encode_queries if kind == "query" else self.flag.encode_corpus
        with quiet_transformers():
            out = encode(texts, max_length=self.info.max_length, return_dense=True, return_sparse=False,
                         return_colbert_vecs=False)
        return np.asarray(out["dense_vecs"], dtype=np.float32).reshape(len(texts), -1)


def _resolve_encoder_spec(model: str | os.PathLike | None) -> str:
    if model is None:
        model = os.environ.get("RERANKKIT_ENCODER")
    if model is None:
        from .testing import TINY_RANDOM

        # CI and offline demos run the reranker on tiny-random; pair it with the tiny encoder.
        model = "tiny-random-encoder" if os.environ.get("RERANKKIT_MODEL") == TINY_RANDOM else DEFAULT_ENCODER
    spec = os.fspath(model).strip()
    if not spec:
        raise ValueError("model is empty: pass 'BAAI/bge-m3', a folder, or 'tiny-random-encoder'")
    return spec


def _fetch_encoder(hub_id: str) -> Path:
    """bge-m3's files from the hub (or its cache), with the remedies for an encoder when unavailable."""
    from .loading import fetch_model

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
    from .loading import (
        check_max_length,
        choose_device,
        choose_dtype,
        local_model_folder,
        quiet_transformers,
        torch_dtype,
    )
    from .testing import read_marker, tiny_random_encoder_path

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
    from .environment import import_flagembedding

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
        self.corpus = _check_corpus(corpus)
        self.encoder = encoder if isinstance(encoder, DenseEncoder) else load_encoder(encoder)
        self.vectors = self.encoder.encode(self.corpus, kind="passage")

    def scores(self, query: str) -> np.ndarray:
        """Cosine similarity of every corpus passage to the query, in [-1, 1]."""
        q = self.encoder.encode([_check_query(query)], kind="query")[0]
        return (self.vectors @ q).astype(np.float64)

    def retrieve(self, query: str, k: int | None = None) -> list[Candidate]:
        """The best ``k`` passages (default all), best first."""
        return _ranked(self.scores(query), self.corpus, k)
