"""What ``max_length`` cuts from a pair: token counts, the cut tokens, and the cut in the passage's own text."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rerankkit._utils.checks import check_text, validate_pairs
from rerankkit._utils.hf import quiet_transformers
from rerankkit.display.style import styled

if TYPE_CHECKING:
    from rerankkit.scoring.reranker import Reranker

__all__ = ["TruncatedPair", "truncation_report", "TruncationView", "truncation_view", "passage_offsets"]


@dataclass(frozen=True)
class TruncatedPair:
    """What ``max_length`` did to one (query, passage) pair.

    Attributes:
        max_length: The limit applied (tokens per pair, special tokens included).
        n_tokens: Tokens the model sees.
        query_cut: Query tokens removed (the query keeps at most 3/4 of max_length).
        passage_cut: Passage tokens removed from its end.
        kept_passage: The passage text the model sees.
        cut_passage: The passage text removed (empty when nothing was cut).
        cut_tokens: The removed passage tokens, as the tokenizer spells them.
    """

    max_length: int
    n_tokens: int
    query_cut: int
    passage_cut: int
    kept_passage: str
    cut_passage: str
    cut_tokens: list[str]

    @property
    def truncated(self) -> bool:
        """Whether anything was cut."""
        return self.query_cut + self.passage_cut > 0


def truncation_report(reranker: Reranker, query: str, passage: str, *, max_length: int | None = None) -> TruncatedPair:
    """Show which tokens of a pair ``max_length`` cuts, following FlagEmbedding's rule.

    The query keeps at most 3/4 of ``max_length`` tokens; the passage loses tokens from its
    end until the pair, special tokens included, fits.

    Example:
        >>> import rerankkit
        >>> rr = rerankkit.load("tiny-random")
        >>> report = truncation_report(rr, "capital?", "Paris is the capital city of France. " * 8, max_length=24)
        >>> report.truncated, report.n_tokens
        (True, 24)
    """
    (pair,), _ = validate_pairs(query, [passage])
    encoded = reranker.encode([pair], max_length=max_length)
    tok = reranker.tokenizer
    with quiet_transformers():
        q_ids = tok(pair[0], add_special_tokens=False, truncation=False)["input_ids"]
        p_ids = tok(pair[1], add_special_tokens=False, truncation=False)["input_ids"]
    query_cut = max(0, len(q_ids) - encoded.max_length * 3 // 4)
    passage_cut = min(len(p_ids), max(0, int(encoded.n_cut[0]) - query_cut))
    keep = len(p_ids) - passage_cut
    # Special tokens stay visible: a character the vocabulary lacks shows as <unk>, not as nothing.
    decode = {"skip_special_tokens": False, "clean_up_tokenization_spaces": False}
    return TruncatedPair(
        max_length=encoded.max_length,
        n_tokens=int(encoded.n_tokens[0]),
        query_cut=query_cut,
        passage_cut=passage_cut,
        kept_passage=tok.decode(p_ids[:keep], **decode),
        cut_passage=tok.decode(p_ids[keep:], **decode) if passage_cut else "",
        cut_tokens=tok.convert_ids_to_tokens(p_ids[keep:]) if passage_cut else [],
    )


def passage_offsets(tokenizer, text: str) -> list[tuple[int, int]]:
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError(f"{type(tokenizer).__name__} is not a fast tokenizer: character offsets are needed")
    with quiet_transformers():  # a long text is the point here, not a mistake to log ("Token indices ... longer")
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
            + (f"<span class='rk-lost'>{self.n_cut} passage tokens are cut (struck through)</span>"
               if self.n_cut else "nothing is cut")
            + "</div>"
        )
        return styled(
            f"<div class='rk-truncation'>{head}"
            f"<div class='rk-passage'><span class='rk-kept'>{html.escape(self.kept_text)}</span>"
            f"<span class='rk-cut'>{html.escape(self.cut_text)}</span></div></div>"
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
    query, passage = check_text(query, "query"), check_text(passage, "passage")
    encoded = reranker.encode([(query, passage)], max_length=max_length)
    n_cut = int(encoded.n_cut[0])
    cut_at = len(passage)
    if n_cut:
        offsets = passage_offsets(reranker.tokenizer, passage)
        kept = len(offsets) - n_cut
        cut_at = offsets[kept][0] if 0 <= kept < len(offsets) else 0
        cut_at = max(0, min(cut_at, len(passage)))
    return TruncationView(query=query, passage=passage, max_length=encoded.max_length,
                          n_tokens=int(encoded.n_tokens[0]), n_cut=n_cut, cut_at=cut_at)
