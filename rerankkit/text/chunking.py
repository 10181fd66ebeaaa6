"""Long documents in chunks: overlapping token windows, scored and aggregated.

* :func:`truncation_view` shows which part of a passage ``max_length`` cuts, in the text.
* :func:`chunk` splits a long document into overlapping token windows (at word starts);
  :func:`score_chunked` scores every chunk with the query and aggregates (max, mean, or
  top-k mean), saying which chunk decided; :func:`compare_truncation` puts that next to the
  plain truncated score.
* :func:`clean_html` turns HTML into text with BeautifulSoup (scripts, styles, comments and
  tags removed; entities decoded by the HTML parser, which applies ``html.unescape`` rules);
  :func:`compare_cleaning` scores before and after.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

from rerankkit._utils.checks import check_positive_int, check_text
from rerankkit._utils.hf import quiet_transformers
from rerankkit.errors import TruncationWarning
from rerankkit.text.truncation import TruncationView, passage_offsets, truncation_view
from rerankkit.text.words import is_unspaced

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.scoring.reranker import Reranker

__all__ = ["Chunk", "chunk", "ChunkedScore", "score_chunked", "aggregate_logits", "TruncationComparison",
           "compare_truncation", "Aggregate", "AGGREGATES"]

Aggregate = Literal["max", "mean", "topk_mean"]
AGGREGATES: tuple[str, ...] = get_args(Aggregate)
DEFAULT_OVERLAP = 32  # tokens; score_chunked uses at most a quarter of the window
MAX_ROWS_SHOWN = 12  # chunk rows drawn in HTML; the deciding chunks are always among them


# -- chunking ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chunk:
    """A window of a document.

    Attributes:
        index: Chunk number.
        text: The chunk's text (a slice of the document).
        start: Character offset in the document.
        end: Character offset just past the chunk.
        first_token: Index of its first token in the document's tokenization.
        n_tokens: Tokens it covers.
    """

    index: int
    text: str
    start: int
    end: int
    first_token: int
    n_tokens: int


def chunk(text: str, tokenizer, *, window: int, overlap: int = 0) -> list[Chunk]:
    """Split ``text`` into windows of at most ``window`` tokens, ``overlap`` tokens shared by neighbours.

    Windows start and end at word starts (a token beginning with whitespace or ``"▁"``), so no
    word is split unless a single word is longer than the window; the overlap is made of whole
    words, so it can be shorter than ``overlap`` tokens.

    Args:
        text: The document.
        tokenizer: A fast Hugging Face tokenizer (e.g. ``rr.tokenizer``).
        window: Tokens per chunk.
        overlap: Tokens repeated at the start of the next chunk (0 <= overlap < window).

    Example:
        >>> import rerankkit
        >>> rr = rerankkit.load("tiny-random")
        >>> parts = chunk("one two three four five six seven eight nine ten", rr.tokenizer, window=6, overlap=3)
        >>> [p.text for p in parts][:3]
        ['one two three four five six', 'four five six seven eight', 'six seven eight nine ten']
    """
    text = check_text(text, "text")
    for name, value in (("window", window), ("overlap", overlap)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if window < 1:
        raise ValueError(f"window must be at least 1 token, got {window}")
    if not 0 <= overlap < window:
        raise ValueError(f"overlap must be in [0, window), got overlap={overlap} with window={window}")
    offsets = passage_offsets(tokenizer, text)
    n = len(offsets)
    if n == 0:
        return [Chunk(0, text, 0, len(text), 0, 0)]
    with quiet_transformers():  # a long text is the point here, not a mistake to log
        pieces = tokenizer.convert_ids_to_tokens(tokenizer(text, add_special_tokens=False)["input_ids"])
    # A word starts at a "▁" piece, after whitespace, or at any piece of a script written
    # without spaces (there each piece is a word, as in rerankkit.explain).
    unspaced = [any(is_unspaced(c) for c in text[a:b]) for a, b in offsets]
    starts_word = [
        i == 0 or p.startswith("▁") or offsets[i][0] > offsets[i - 1][1]
        or ((unspaced[i] or unspaced[i - 1]) and pieces[i - 1].strip("▁") != "")
        for i, p in enumerate(pieces)
    ]

    word_starts = [i for i, start in enumerate(starts_word) if start] + [n]

    chunks: list[Chunk] = []
    begin = 0
    while True:
        # End at the last word start that keeps the chunk within the window (inside a word only
        # when one word alone is longer than the window).
        fitting = [s for s in word_starts if begin < s <= begin + window]
        stop = fitting[-1] if fitting else min(begin + window, n)
        start_char, end_char = offsets[begin][0], offsets[stop - 1][1]
        chunks.append(Chunk(len(chunks), text[start_char:end_char].strip(), start_char, end_char, begin, stop - begin))
        if stop >= n:
            return chunks
        # Start the next chunk at the first word start within `overlap` tokens before the end.
        begin = min(stop, next(s for s in word_starts if s > begin and s >= stop - overlap))


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields, not objects
class ChunkedScore:
    """A long document scored chunk by chunk.

    Attributes:
        query: The query.
        chunks: The chunks, in document order.
        logits: Raw logit of every chunk with the query.
        aggregate: ``max``, ``mean`` or ``topk_mean``.
        k: Chunks averaged by ``topk_mean``.
        score: The aggregated raw logit.
        deciding: Chunks that set the score (the best one for ``max``, the best k for
            ``topk_mean``, all for ``mean``), best first.
        random_weights: Scores come from random weights.
        model_label: Model name.
    """

    query: str
    chunks: tuple[Chunk, ...]
    logits: np.ndarray
    aggregate: str
    k: int
    score: float
    deciding: tuple[int, ...]
    random_weights: bool = False
    model_label: str = ""

    @property
    def best(self) -> Chunk:
        """The chunk with the highest raw logit."""
        return self.chunks[int(np.argmax(self.logits))]

    def to_frame(self) -> pd.DataFrame:
        """One row per chunk: index, first_token, n_tokens, logit, deciding, text."""
        import pandas as pd

        return pd.DataFrame(
            [{"chunk": c.index, "first_token": c.first_token, "n_tokens": c.n_tokens, "logit": float(lg),
              "deciding": c.index in self.deciding, "text": c.text} for c, lg in zip(self.chunks, self.logits)]
        )

    def __repr__(self) -> str:
        how = f"{self.aggregate} (k={self.k})" if self.aggregate == "topk_mean" else self.aggregate
        return (
            f"ChunkedScore({len(self.chunks)} chunks, {how}"
            f" = {self.score:+.4f} raw logit; decided by chunk(s) {list(self.deciding)}; best chunk "
            f"{self.best.index}: {self.best.text[:60]!r})"
        )

    def _repr_html_(self) -> str:
        shown = set(self.deciding[:MAX_ROWS_SHOWN])
        shown |= set(range(len(self.chunks))[: max(0, MAX_ROWS_SHOWN - len(shown))])
        rows = "".join(
            f"<tr style='{'background:#e8f5e9;font-weight:600' if c.index in self.deciding else ''}'>"
            f"<td>{c.index}</td><td>{lg:+.3f}</td><td>{html.escape(c.text[:160])}{'...' if len(c.text) > 160 else ''}"
            f"</td></tr>" for c, lg in zip(self.chunks, self.logits) if c.index in shown
        )
        if len(shown) < len(self.chunks):
            rows += (f"<tr><td colspan='3' style='color:#666'>{len(self.chunks) - len(shown)} more chunks: "
                     "see .to_frame()</td></tr>")
        return (
            f"<div class='rk-chunks'><div>{len(self.chunks)} chunks · aggregate <b>{self.aggregate}</b> "
            f"= <b>{self.score:+.4f}</b> raw logit · deciding chunk(s) highlighted: {list(self.deciding)}"
            + (f" · model {html.escape(self.model_label)}" if self.model_label else "") + "</div>"
            f"<table><thead><tr><th>chunk</th><th>raw logit</th><th>text</th></tr></thead><tbody>{rows}</tbody>"
            "</table></div>"
        )


def aggregate_logits(logits: np.ndarray, how: str = "max", k: int = 3) -> tuple[float, tuple[int, ...]]:
    """Aggregate chunk logits; return the score and the deciding chunks, best first.

    Example:
        >>> aggregate_logits(np.array([1.0, 4.0, 2.0]), "max")
        (4.0, (1,))
        >>> aggregate_logits(np.array([1.0, 4.0, 2.0]), "topk_mean", k=2)
        (3.0, (1, 2))
        >>> aggregate_logits(np.array([1.0, 4.0, 2.0]), "mean")
        (2.3333333333333335, (1, 2, 0))
    """
    if how not in AGGREGATES:
        raise ValueError(f"aggregate must be one of {', '.join(AGGREGATES)}, got {how!r}")
    check_positive_int(k, "k")
    logits = np.asarray(logits, dtype=np.float64)
    order = tuple(int(i) for i in np.argsort(-logits, kind="stable"))
    if how == "max":
        return float(logits[order[0]]), order[:1]
    if how == "mean":
        return float(logits.mean()), order
    top = order[: min(k, len(order))]
    return float(logits[list(top)].mean()), top


def _default_window(reranker: Reranker, query: str, max_length: int) -> int:
    tok = reranker.tokenizer
    with quiet_transformers():
        query_tokens = min(len(tok(query, add_special_tokens=False)["input_ids"]), max_length * 3 // 4)
    # Two tokens of margin: a chunk's first word may gain a "▁" piece when tokenized on its own.
    window = max_length - query_tokens - tok.num_special_tokens_to_add(pair=True) - 2
    if window < 1:
        raise ValueError(f"the query fills max_length={max_length}: raise max_length or shorten the query")
    return window


def score_chunked(
    reranker: Reranker,
    query: str,
    document: str,
    *,
    window: int | None = None,
    overlap: int | None = None,
    aggregate: Aggregate = "max",
    k: int = 3,
    max_length: int | None = None,
) -> ChunkedScore:
    """Score a long document as token windows with the query, and aggregate.

    Args:
        reranker: A loaded reranker.
        query: The query.
        document: The long text.
        window: Passage tokens per chunk (default: what fits max_length beside the query).
        overlap: Tokens shared by neighbouring chunks (default: a quarter of the window, at most 32).
        aggregate: ``max`` (the best chunk decides), ``mean`` or ``topk_mean``.
        k: Chunks averaged by ``topk_mean``.
        max_length: Tokens per pair (default: the reranker's).

    Example:
        >>> import rerankkit
        >>> rr = rerankkit.load("tiny-random")
        >>> result = score_chunked(rr, "panda?", "word " * 100 + "The panda is a bear.", max_length=32, overlap=4)
        >>> len(result.chunks) > 1, result.score == float(result.logits.max())
        (True, True)
    """
    query, document = check_text(query, "query"), check_text(document, "document")
    aggregate_logits(np.zeros(1), aggregate, k)  # validate before any work
    limit = reranker._max_length(max_length)
    if window is None:
        window = _default_window(reranker, query, limit)
    if overlap is None:
        overlap = min(DEFAULT_OVERLAP, window // 4)
    parts = chunk(document, reranker.tokenizer, window=window, overlap=overlap)
    # A chunk that still exceeds max_length (an explicit large window) warns like any scoring call.
    logits = reranker.score(query, [c.text or " " for c in parts], max_length=limit)
    score, deciding = aggregate_logits(logits, aggregate, k)
    return ChunkedScore(query=query, chunks=tuple(parts), logits=np.asarray(logits), aggregate=aggregate, k=k,
                        score=score, deciding=deciding, random_weights=reranker.info.random_weights,
                        model_label=reranker.info.label)


@dataclass(frozen=True)
class TruncationComparison:
    """Plain truncation against chunking for one long document."""

    truncated_score: float
    truncation: TruncationView
    chunked: ChunkedScore

    def __repr__(self) -> str:
        return (
            f"truncated: {self.truncated_score:+.4f} raw logit ({self.truncation.n_cut} tokens cut) · "
            f"chunked ({self.chunked.aggregate}): {self.chunked.score:+.4f}, decided by chunk(s) "
            f"{list(self.chunked.deciding)} of {len(self.chunked.chunks)}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Two rows: truncation and chunking, with the raw logit and what decided it."""
        import pandas as pd

        return pd.DataFrame([
            {"strategy": "truncate", "logit": self.truncated_score,
             "what the model saw": f"first {self.truncation.n_tokens} tokens ({self.truncation.n_cut} cut)"},
            {"strategy": f"chunk + {self.chunked.aggregate}", "logit": self.chunked.score,
             "what the model saw": f"{len(self.chunked.chunks)} chunks; deciding: {list(self.chunked.deciding)}"},
        ])

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False) + self.truncation._repr_html_() + self.chunked._repr_html_()


def compare_truncation(reranker: Reranker, query: str, document: str, **chunk_options) -> TruncationComparison:
    """Score a long document truncated (as :meth:`Reranker.score` does) and chunked, side by side.

    ``chunk_options`` go to :func:`score_chunked` (``window``, ``overlap``, ``aggregate``, ``k``,
    ``max_length``); ``max_length`` applies to both.
    """
    import warnings


    max_length = chunk_options.get("max_length")
    view = truncation_view(reranker, query, document, max_length=max_length)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncationWarning)  # the view reports the cut
        truncated = float(reranker.score(query, document, max_length=max_length))
    return TruncationComparison(truncated, view, score_chunked(reranker, query, document, **chunk_options))
