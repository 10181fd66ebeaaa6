"""HTML cleaned to text with BeautifulSoup, and what cleaning does to a score."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rerankkit._utils.checks import check_text

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.scoring.reranker import Reranker

__all__ = ["clean_html", "CleaningComparison", "compare_cleaning"]

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
    query = check_text(query, "query")
    markup = check_text(markup, "markup")
    cleaned = clean_html(markup, **clean_options)
    if not cleaned.strip():
        raise ValueError("the HTML has no visible text after cleaning: nothing to score")
    raw_score, cleaned_score = reranker.score([(query, markup), (query, cleaned)])
    return CleaningComparison(markup, cleaned, float(raw_score), float(cleaned_score))
