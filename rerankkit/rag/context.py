"""What reaches the LLM: reranked chunks packed into a token budget, with a citation per chunk, and the prompt.

:func:`pack_context` walks the chunks best first, drops near-duplicates of a chunk already taken (word
trigram Jaccard similarity, after the kit's BM25 tokenizer), skips a chunk that no longer fits the budget and
tries the next, and lays the kept chunks out in score order or best at both ends (``order="ends"``: models
read the start and the end of a long context best; Liu et al., 2023, "Lost in the Middle").

Token counts: pass the target LLM's tokenizer (a Hugging Face tokenizer, a ``tiktoken`` encoding, or any
``str -> int`` callable). The default, :func:`approximate_tokens`, needs no files: one token per CJK
character plus 4/3 per word of other scripts, plus one per punctuation mark; it errs on the high side for
English (GPT-style tokenizers spend about 1.3 tokens per English word), so a context packed with it fits.

Example:
    >>> ctx = pack_context([("a#0", "Paris is the capital of France."), ("b#0", "Berlin is in Germany.")], budget=12)
    >>> [c.chunk_id for c in ctx.chunks], ctx.n_tokens <= 12
    (['a#0'], True)
    >>> ctx.dropped_over_budget
    ['b#0']
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rerankkit._utils.checks import check_positive_int
from rerankkit.retrieval.base import _is_cjk, tokenize

__all__ = ["approximate_tokens", "token_counter", "ContextChunk", "Context", "pack_context", "ORDERS",
           "near_duplicate", "SYSTEM_PROMPT"]

Order = Literal["score", "ends"]
ORDERS = ("score", "ends")
DEDUPE_THRESHOLD = 0.8  # trigram Jaccard at which two chunks count as the same text
SYSTEM_PROMPT = ("Answer the question using only the numbered context passages. Cite the passages you use as [n]. "
                 "If the context does not contain the answer, say that you do not know.")


def approximate_tokens(text: str) -> int:
    """A tokenizer-free token estimate: CJK characters count 1, other words 4/3, punctuation marks 1.

    Example:
        >>> approximate_tokens("The giant panda is a bear."), approximate_tokens("大熊猫是熊")
        (9, 5)
    """
    cjk = sum(1 for ch in text if _is_cjk(ch))
    words = sum(1 for w in text.split() if any(unicodedata.category(c)[0] in "LN" and not _is_cjk(c) for c in w))
    punct = sum(1 for ch in text if unicodedata.category(ch)[0] == "P")
    return cjk + math.ceil(words * 4 / 3) + punct


def token_counter(tokenizer: Any = None) -> Callable[[str], int]:
    """A ``str -> int`` token counter from a Hugging Face tokenizer, a tiktoken encoding, a callable, or None
    (:func:`approximate_tokens`).

    Example:
        >>> token_counter(None)("two words")
        3
    """
    if tokenizer is None:
        return approximate_tokens
    if isinstance(tokenizer, functools._lru_cache_wrapper):
        return tokenizer  # already a (cached) counter
    if hasattr(tokenizer, "encode"):
        try:  # Hugging Face: count without special tokens; tiktoken's encode takes no such argument
            tokenizer.encode("a", add_special_tokens=False)
            return lambda text: len(tokenizer.encode(text, add_special_tokens=False))
        except TypeError:
            return lambda text: len(tokenizer.encode(text))
    if callable(tokenizer):
        return lambda text: int(tokenizer(text))
    raise TypeError(f"tokenizer must be a Hugging Face tokenizer, a tiktoken encoding or a str -> int callable, "
                    f"got {type(tokenizer).__name__}")


@functools.lru_cache(maxsize=8192)  # a sweep compares the same chunks again and again
def _trigrams(text: str) -> frozenset[tuple[str, ...]]:
    words = tokenize(text)
    return frozenset(tuple(words[i:i + 3]) for i in range(max(1, len(words) - 2)))


def near_duplicate(a: str, b: str, threshold: float = DEDUPE_THRESHOLD) -> bool:
    """Whether two texts share at least ``threshold`` of their word trigrams (Jaccard similarity).

    Example:
        >>> near_duplicate("The panda is a bear from China.", "The panda is a bear from China!")
        True
        >>> near_duplicate("The panda is a bear.", "Paris is in France.")
        False
    """
    x, y = _trigrams(a), _trigrams(b)
    if not (x or y):
        return False
    shared = len(x & y)  # |x | y| without building the union: a sweep asks this millions of times
    return shared / (len(x) + len(y) - shared) >= threshold


@dataclass(frozen=True)
class ContextChunk:
    """One chunk in the context.

    Attributes:
        number: Its citation number in the prompt (``[number]``).
        chunk_id: The chunk's id.
        text: The chunk's text.
        n_tokens: Its tokens by the context's counter.
        rank: Its rank in the ranking it was packed from (1 = best).
        score: The score it was ranked by (reranker logit, or first-stage score).
        citation: Where it comes from (document and offsets).
    """

    number: int
    chunk_id: str
    text: str
    n_tokens: int
    rank: int
    score: float | None
    citation: str


@dataclass(frozen=True)
class Context:
    """The packed context: kept chunks in prompt order, and what was left out and why."""

    chunks: tuple[ContextChunk, ...]
    budget: int
    n_tokens: int
    order: str
    dropped_duplicates: list[str] = field(default_factory=list)
    dropped_over_budget: list[str] = field(default_factory=list)

    @property
    def chunk_ids(self) -> list[str]:
        """Ids of the kept chunks, in prompt order."""
        return [c.chunk_id for c in self.chunks]

    def text(self) -> str:
        """The context block: ``[n] (citation)`` then the chunk, one per paragraph."""
        return "\n\n".join(f"[{c.number}] ({c.citation})\n{c.text}" for c in self.chunks)

    def messages(self, question: str, *, system: str = SYSTEM_PROMPT) -> list[dict[str, str]]:
        """The chat messages an OpenAI-compatible LLM receives for ``question``."""
        if not isinstance(question, str) or not question.strip():
            raise ValueError("question is empty: pass the user's question")
        return [{"role": "system", "content": system},
                {"role": "user", "content": f"Context:\n\n{self.text()}\n\nQuestion: {question}"}]


def pack_context(ranked: Sequence[Any], *, budget: int, tokenizer: Any = None, order: Order = "score",
                 dedupe_threshold: float | None = DEDUPE_THRESHOLD, top_n: int | None = None) -> Context:
    """Pack ranked chunks, best first, into ``budget`` tokens.

    Args:
        ranked: Best first. Each item is a ``(chunk_id, text)`` or ``(chunk_id, text, score)`` tuple, or a
            :class:`~rerankkit.rag.chunks.RagChunk`, or an object with ``chunk`` and ``score`` (see
            :class:`rerankkit.rag.pipeline.Hit`).
        budget: Context tokens the LLM may read (the chunks' tokens; the prompt's own words come on top).
        tokenizer: The target LLM's tokenizer (see :func:`token_counter`); default :func:`approximate_tokens`.
        order: ``"score"`` (best first) or ``"ends"`` (best at the start and the end, weakest in the middle).
        dedupe_threshold: Trigram Jaccard at which a chunk is dropped as a near-duplicate of a better one;
            None keeps duplicates.
        top_n: Most chunks kept (default: as many as fit).
    """
    check_positive_int(budget, "budget")
    check_positive_int(top_n, "top_n", allow_none=True)
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    count = token_counter(tokenizer)
    kept: list[tuple[int, str, str, int, float | None, str]] = []
    used = 0
    duplicates: list[str] = []
    over: list[str] = []
    for rank, item in enumerate(ranked, 1):
        chunk_id, text, score, citation = _unpack(item)
        if top_n is not None and len(kept) >= top_n:
            break
        if dedupe_threshold is not None and any(near_duplicate(text, k[2], dedupe_threshold) for k in kept):
            duplicates.append(chunk_id)
            continue
        n = count(text)
        if used + n > budget:
            over.append(chunk_id)
            continue  # a shorter chunk further down may still fit
        kept.append((rank, chunk_id, text, n, score, citation))
        used += n
    if order == "ends":  # ranks 1, 3, 5, ... from the start; 2, 4, 6, ... from the end
        kept = kept[0::2] + kept[1::2][::-1]
    chunks = tuple(ContextChunk(i, cid, text, n, rank, score, citation)
                   for i, (rank, cid, text, n, score, citation) in enumerate(kept, 1))
    return Context(chunks, budget, used, order, duplicates, over)


def _unpack(item: Any) -> tuple[str, str, float | None, str]:
    if hasattr(item, "chunk") and hasattr(item, "score"):
        c = item.chunk
        return c.id, c.text, float(item.score), c.citation
    if hasattr(item, "citation") and hasattr(item, "text") and hasattr(item, "id"):
        return item.id, item.text, None, item.citation
    if isinstance(item, tuple) and len(item) in (2, 3) and isinstance(item[1], str):
        return str(item[0]), item[1], (float(item[2]) if len(item) == 3 else None), str(item[0])
    raise TypeError(f"ranked items must be (chunk_id, text[, score]) tuples, RagChunk rows or hits, got {item!r}")
