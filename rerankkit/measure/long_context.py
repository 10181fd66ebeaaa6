"""What one long pair costs against the same text cut into short chunks, scored as one batch.

A model that accepts 8192 tokens can score a long document in one pair (``max_length=8192``), or the
document can be cut into windows that fit 512 tokens beside the query and scored as a batch
(:func:`rerankkit.text.chunking.score_chunked` does that and aggregates). Self-attention costs grow with the
square of the pair's length, so the one long pair does more arithmetic for the same tokens. This module
measures cost only: bge-reranker-v2-m3's maintainers say inputs up to 8,192 tokens are supported but quality
may degrade (FlagEmbedding issue #932), so measure the ranking quality of long pairs on your data too.
:func:`long_vs_chunks` times both on the **same text**: real passages of the packaged case sets, joined until
the pair fills ``length`` tokens.

Example:
    >>> import rerankkit
    >>> result = long_vs_chunks(rerankkit.load("tiny-random"), length=256, chunk_length=64)
    >>> result.long_tokens, result.n_chunks > 1, result.long_s > 0 and result.chunks_s > 0
    (256, True, True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from rerankkit._utils.checks import check_positive_int
from rerankkit._utils.hf import quiet_transformers
from rerankkit.measure.timing import attention_flop_share, flops_per_pair, median_seconds
from rerankkit.text.chunking import chunk

if TYPE_CHECKING:
    from rerankkit.scoring.reranker import Reranker

__all__ = ["LongVsChunks", "long_document", "long_vs_chunks"]

DEFAULT_QUERY = "what is the capital of France?"


@dataclass(frozen=True)
class LongVsChunks:
    """Times of one long pair and of the same text as a batch of short chunks.

    Attributes:
        long_tokens: Tokens of the long pair (query, specials and text).
        long_s: Median seconds to score the long pair.
        chunk_length: Tokens per chunk pair (query, specials and window).
        n_chunks: Chunks the same text makes.
        chunk_tokens: Tokens of all chunk pairs together (each repeats the query and specials).
        chunks_s: Median seconds to score all chunks as one batch.
        ratio: ``long_s / chunks_s``: how many times longer the single long pair takes.
        flop_ratio: The same ratio in matrix-product FLOPs, from the model config (what arithmetic predicts).
        attention_share_long: Analytic share of the long pair's FLOPs in attention's L^2 products.
        repeats: Timed repeats behind each median.
        random_weights: True when the weights are random (times are honest for the shape, scores are not).
    """

    long_tokens: int
    long_s: float
    chunk_length: int
    n_chunks: int
    chunk_tokens: int
    chunks_s: float
    ratio: float
    flop_ratio: float
    attention_share_long: float
    repeats: int
    random_weights: bool

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (for JSON)."""
        return asdict(self)

    def text(self) -> str:
        """One sentence with both times and the ratio."""
        return (f"one {self.long_tokens}-token pair: {self.long_s:.3f} s; the same text as {self.n_chunks} chunks of "
                f"{self.chunk_length} tokens in one batch: {self.chunks_s:.3f} s; the long pair takes "
                f"{self.ratio:.2f}x as long (FLOPs predict {self.flop_ratio:.2f}x)")


def long_document(tokenizer: Any, query: str, n_tokens: int) -> str:
    """Real text (packaged case passages, joined) that fills exactly ``n_tokens`` tokens beside ``query`` as a pair.

    Example:
        >>> import rerankkit
        >>> tok = rerankkit.load("tiny-random").tokenizer
        >>> len(tok("panda?", long_document(tok, "panda?", 100))["input_ids"])
        100
    """
    from rerankkit import cases

    check_positive_int(n_tokens, "n_tokens")
    overhead = len(tokenizer(query)["input_ids"]) + tokenizer.num_special_tokens_to_add(pair=True) - \
        tokenizer.num_special_tokens_to_add(pair=False)
    budget = n_tokens - overhead
    if budget < 1:
        raise ValueError(f"n_tokens={n_tokens} leaves no room for text beside the query: raise n_tokens")
    # Texts longer than the tokenizer's limit are the point here, not a mistake to log ("Token indices ...").
    with quiet_transformers():
        passages = list(dict.fromkeys(t for name in cases.names() for case in cases.load(name).cases
                                      for t in case.texts))
        pieces: list[str] = []
        counted = 0
        while counted < budget + 8:
            pieces.extend(passages)
            counted = len(tokenizer(" ".join(pieces), add_special_tokens=False)["input_ids"])
        text = " ".join(pieces)
        ids = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        end = ids["offset_mapping"][budget - 1][1]  # the first `budget` tokens of the text
        for _ in range(8):  # re-tokenizing a cut can merge or split a piece: trim until it fits exactly
            document = text[:end]
            got = len(tokenizer(query, document)["input_ids"])
            if got == n_tokens:
                return document
            end += 1 if got < n_tokens else -1
        return document


def long_vs_chunks(
    reranker: Reranker,
    *,
    length: int = 8192,
    chunk_length: int = 512,
    query: str = DEFAULT_QUERY,
    repeats: int = 1,
    warmup: int = 0,
) -> LongVsChunks:
    """Time one ``length``-token pair against the same text as chunks that fit ``chunk_length`` tokens, as a batch.

    Args:
        reranker: A loaded reranker whose model limit is at least ``length``.
        length: Tokens of the long pair (query, specials and text), e.g. 8192.
        chunk_length: Tokens per chunk pair, e.g. 512: the text is cut with
            :func:`rerankkit.text.chunking.chunk` into windows that fit beside the query, without overlap.
        query: The query of every pair.
        repeats: Timed repeats of each side (one 8192-token pair takes minutes on a small CPU).
        warmup: Untimed runs of each side first.

    Returns:
        Both times and their ratio (:class:`LongVsChunks`).
    """
    check_positive_int(length, "length")
    check_positive_int(chunk_length, "chunk_length")
    limit = reranker.info.model_max_length
    if length > limit:
        raise ValueError(f"length={length} exceeds the model's limit of {limit} tokens: pass length <= {limit}")
    if chunk_length >= length:
        raise ValueError(f"chunk_length={chunk_length} must be below length={length}: chunks are the shorter side")
    tok = reranker.tokenizer
    document = long_document(tok, query, length)
    pair_overhead = len(tok(query, "")["input_ids"])
    window = chunk_length - pair_overhead - 2  # two tokens of margin: a chunk's first word may gain a piece
    if window < 1:
        raise ValueError(f"chunk_length={chunk_length} leaves no room beside the query: raise chunk_length")
    pieces = [c.text for c in chunk(document, tok, window=window)]
    chunk_pairs = [(query, text) for text in pieces]
    chunk_lengths = [len(ids) for ids in tok([q for q, _ in chunk_pairs], pieces)["input_ids"]]
    long_s = median_seconds(lambda: reranker.score([(query, document)], max_length=length, batch_size=1,
                                                   show_progress=False), repeats=repeats, warmup=warmup)
    chunks_s = median_seconds(lambda: reranker.score(chunk_pairs, max_length=chunk_length, batch_size=len(chunk_pairs),
                                                     show_progress=False), repeats=repeats, warmup=warmup)
    config = reranker.model.config
    padded = max(chunk_lengths)  # one batch pads every chunk to the longest
    return LongVsChunks(
        long_tokens=length, long_s=long_s, chunk_length=chunk_length, n_chunks=len(pieces),
        chunk_tokens=int(sum(chunk_lengths)), chunks_s=chunks_s, ratio=long_s / chunks_s,
        flop_ratio=flops_per_pair(config, length) / (len(pieces) * flops_per_pair(config, padded)),
        attention_share_long=attention_flop_share(config, length), repeats=repeats,
        random_weights=reranker.info.random_weights,
    )
