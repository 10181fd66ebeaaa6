"""Text before scoring: what truncation cuts, long documents in chunks, HTML cleaned to text.

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
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

from .cards import random_weights_banner
from .errors import check_positive_int
from .explain.words import is_unspaced

if TYPE_CHECKING:
    import pandas as pd

    from .reranker import Reranker

__all__ = [
    "TruncationView",
    "truncation_view",
    "Chunk",
    "chunk",
    "ChunkedScore",
    "score_chunked",
    "TruncationComparison",
    "compare_truncation",
    "clean_html",
    "CleaningComparison",
    "compare_cleaning",
    "Aggregate",
]

Aggregate = Literal["max", "mean", "topk_mean"]
AGGREGATES: tuple[str, ...] = get_args(Aggregate)
DEFAULT_OVERLAP = 32  # tokens; score_chunked uses at most a quarter of the window
MAX_ROWS_SHOWN = 12  # chunk rows drawn in HTML; the deciding chunks are always among them


def _check_text(value: object, name: str) -> str:
    from .reranker import _check_text as check

    return check(value, name)


def _passage_offsets(tokenizer, text: str) -> list[tuple[int, int]]:
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError(f"{type(tokenizer).__name__} is not a fast tokenizer: character offsets are needed")
    return list(tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"])


# -- truncation ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TruncationView:
    """Which part of a passage the model sees at ``max_length``.

    Attributes:
        query: The query.
        passage: The full passage.
        max_length: Tokens per pair.
        n_tokens: Tokens of the pair the model sees.
        n_cut: Passage tokens cut.
        cut_at: Character offset where the cut starts (``len(passage)`` when nothing is cut).
    """

    query: str
    passage: str
    max_length: int
    n_tokens: int
    n_cut: int
    cut_at: int

    @property
    def kept_text(self) -> str:
        """The part of the passage the model sees."""
        return self.passage[: self.cut_at]

    @property
    def cut_text(self) -> str:
        """The part max_length removes."""
        return self.passage[self.cut_at :]

    def __repr__(self) -> str:
        if not self.n_cut:
            return f"TruncationView: the pair fits ({self.n_tokens} of {self.max_length} tokens); nothing is cut"
        return (
            f"TruncationView: {self.n_cut} passage tokens cut at max_length={self.max_length}; the model stops at "
            f"...{self.kept_text[-40:]!r} and never sees {self.cut_text[:60]!r}..."
        )

    def _repr_html_(self) -> str:
        head = (
            f"<div><b>max_length {self.max_length}</b>: the model sees {self.n_tokens} tokens; "
            + (f"<span style='color:#c62828'>{self.n_cut} passage tokens are cut (struck through)</span>"
               if self.n_cut else "nothing is cut")
            + "</div>"
        )
        return (
            f"<div class='rk-truncation' style='font-family:system-ui,sans-serif;max-width:880px'>{head}"
            f"<div style='white-space:pre-wrap'><span class='rk-kept'>{html.escape(self.kept_text)}</span>"
            f"<span class='rk-cut' style='color:#999;text-decoration:line-through;background:#fdecea'>"
            f"{html.escape(self.cut_text)}</span></div></div>"
        )


def truncation_view(reranker: Reranker, query: str, passage: str, *, max_length: int | None = None) -> TruncationView:
    """Show which tokens of ``passage`` the reranker's ``max_length`` cuts, as text.

    Example:
        >>> import rerankkit
        >>> rr = rerankkit.load("tiny-random")
        >>> view = truncation_view(rr, "panda?", "The giant panda is a bear. " * 10, max_length=24)
        >>> view.n_cut > 0, view.kept_text + view.cut_text == "The giant panda is a bear. " * 10
        (True, True)
    """
    query, passage = _check_text(query, "query"), _check_text(passage, "passage")
    encoded = reranker.encode([(query, passage)], max_length=max_length)
    n_cut = int(encoded.n_cut[0])
    cut_at = len(passage)
    if n_cut:
        offsets = _passage_offsets(reranker.tokenizer, passage)
        kept = len(offsets) - n_cut
        cut_at = offsets[kept][0] if 0 <= kept < len(offsets) else 0
        cut_at = max(0, min(cut_at, len(passage)))
    return TruncationView(query=query, passage=passage, max_length=encoded.max_length,
                          n_tokens=int(encoded.n_tokens[0]), n_cut=n_cut, cut_at=cut_at)


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
        ['one two three four five six', 'four five six seven eight', 'seven eight nine ten']
    """
    text = _check_text(text, "text")
    for name, value in (("window", window), ("overlap", overlap)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if window < 1:
        raise ValueError(f"window must be at least 1 token, got {window}")
    if not 0 <= overlap < window:
        raise ValueError(f"overlap must be in [0, window), got overlap={overlap} with window={window}")
    offsets = _passage_offsets(tokenizer, text)
    n = len(offsets)
    if n == 0:
        return [Chunk(0, text, 0, len(text), 0, 0)]
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
        banner = random_weights_banner(self.model_label) if self.random_weights else ""
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
            f"<div class='rk-chunks'>{banner}<div>{len(self.chunks)} chunks · aggregate <b>{self.aggregate}</b> "
            f"= <b>{self.score:+.4f}</b> raw logit · deciding chunk(s) highlighted: {list(self.deciding)}</div>"
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
    query, document = _check_text(query, "query"), _check_text(document, "document")
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

    from .reranker import TruncationWarning

    max_length = chunk_options.get("max_length")
    view = truncation_view(reranker, query, document, max_length=max_length)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncationWarning)  # the view reports the cut
        truncated = float(reranker.score(query, document, max_length=max_length))
    return TruncationComparison(truncated, view, score_chunked(reranker, query, document, **chunk_options))


# -- HTML ---------------------------------------------------------------------------------------
_DROP_TAGS = ("script", "style", "noscript", "template", "head", "svg", "iframe", "object")
_BLOCK_TAGS = ("p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table",
               "section", "article", "header", "footer", "nav", "aside", "main", "blockquote", "pre", "hr", "dt", "dd")
_BLOCK = re.compile(r"[ \t\r\f\v\u00a0]+")


def clean_html(markup: str, *, parser: str = "html.parser") -> str:
    """Turn HTML into plain text for scoring.

    Scripts, styles, comments and other non-text elements are removed, tags are dropped (block
    elements become line breaks), entities are decoded, and whitespace is collapsed.

    Args:
        markup: An HTML page or fragment.
        parser: BeautifulSoup parser: ``html.parser`` (standard library) or ``lxml``.

    Example:
        >>> clean_html("<p>Paris &amp; Lyon</p><script>var x=1;</script><!-- hidden --><p>caf&eacute;</p>")
        'Paris & Lyon\\ncafé'
    """
    from bs4 import BeautifulSoup, Comment

    if not isinstance(markup, str):
        raise TypeError(f"markup must be a str, got {type(markup).__name__}")
    soup = BeautifulSoup(markup, parser)
    for element in soup(_DROP_TAGS):
        element.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for element in soup(_BLOCK_TAGS):
        element.insert_before("\n")
        element.insert_after("\n")
    # The parser has decoded entities (html.unescape rules); a page that escaped them twice
    # (&amp;amp;) keeps one level, as a browser shows it.
    text = soup.get_text()
    lines = (_BLOCK.sub(" ", line).strip() for line in text.splitlines())
    cleaned = "\n".join(line for line in lines if line)
    return re.sub(r" +([.,;:!?])", r"\1", cleaned)


@dataclass(frozen=True)
class CleaningComparison:
    """Raw logits of a passage as HTML and as cleaned text."""

    raw: str
    cleaned: str
    raw_score: float
    cleaned_score: float

    @property
    def change(self) -> float:
        """cleaned_score - raw_score."""
        return self.cleaned_score - self.raw_score

    def __repr__(self) -> str:
        return (
            f"HTML as is: {self.raw_score:+.4f} raw logit · cleaned: {self.cleaned_score:+.4f} "
            f"(change {self.change:+.4f}; {len(self.raw)} -> {len(self.cleaned)} characters)"
        )

    def to_frame(self) -> pd.DataFrame:
        """Two rows: the HTML as is and the cleaned text, with characters and raw logit."""
        import pandas as pd

        return pd.DataFrame([
            {"passage": "HTML as is", "characters": len(self.raw), "logit": self.raw_score},
            {"passage": "cleaned text", "characters": len(self.cleaned), "logit": self.cleaned_score},
        ])


def compare_cleaning(reranker: Reranker, query: str, markup: str, **clean_options) -> CleaningComparison:
    """Score an HTML passage as it is and after :func:`clean_html`, in one batched call.

    Example:
        >>> import rerankkit
        >>> rr = rerankkit.load("tiny-random")
        >>> result = compare_cleaning(rr, "panda?", "<div><script>x()</script><b>The panda</b> is a bear.</div>")
        >>> result.cleaned
        'The panda is a bear.'
    """
    query = _check_text(query, "query")
    markup = _check_text(markup, "markup")
    cleaned = clean_html(markup, **clean_options)
    if not cleaned.strip():
        raise ValueError("the HTML has no visible text after cleaning: nothing to score")
    raw_score, cleaned_score = reranker.score([(query, markup), (query, cleaned)])
    return CleaningComparison(markup, cleaned, float(raw_score), float(cleaned_score))

