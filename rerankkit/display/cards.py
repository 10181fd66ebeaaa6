"""HTML score cards for rankings (used by ``Ranking._repr_html_`` and the widgets)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rerankkit.scoring.results import Ranking

from rerankkit.display.style import FAIL_COLOUR, NEUTRAL_COLOUR, PASS_COLOUR, random_weights_banner, styled

__all__ = ["ranking_html", "passage_html", "FOLD_CHARS"]

FOLD_CHARS = 600  # longer passages show their start and fold the rest behind a click


def passage_html(text: str, n_tokens: int, n_cut: int, *, query_chars: int = 0, n_special: int = 4) -> str:
    """A passage as the model read it: a truncated passage shows the part read and folds the cut part (struck
    through); a long passage folds after :data:`FOLD_CHARS` characters.

    ``n_tokens`` counts the whole pair (``n_special`` special tokens, the query of ``query_chars`` characters, the
    passage part kept). The read/cut split assumes the same characters per token in query and passage, so it is
    approximate to a few words.

    Example:
        >>> "rk-fold" in passage_html("word " * 400, n_tokens=50, n_cut=350)
        True
        >>> passage_html("short", n_tokens=3, n_cut=0)
        '<div class="rk-text">short</div>'
    """
    if n_cut > 0:
        chars_per_token = (len(text) + query_chars) / max(1, n_tokens - n_special + n_cut)
        kept = min(len(text), max(0, round(len(text) - n_cut * chars_per_token)))
        head, rest = text[:kept], text[kept:]
        shown = head if len(head) <= FOLD_CHARS else head[:FOLD_CHARS]
        hidden_read = head[len(shown):]
        read_fold = (f'<details class="rk-fold"><summary>show the rest of what the model read '
                     f'({len(hidden_read):,} characters)</summary><div class="rk-text">{html.escape(hidden_read)}</div>'
                     "</details>") if hidden_read else ""
        return (
            f'<div class="rk-text">{html.escape(shown)}</div>{read_fold}'
            f'<div class="rk-cut">truncated: {n_cut} tokens cut to fit max_length; the model read {n_tokens} tokens '
            f"of the pair, about the first {len(head):,} characters of this passage</div>"
            f'<details class="rk-fold"><summary>show the {len(rest):,} characters the model did not read</summary>'
            f'<div class="rk-text rk-cutoff">{html.escape(rest)}</div></details>'
        )
    if len(text) > FOLD_CHARS:
        return (f'<div class="rk-text">{html.escape(text[:FOLD_CHARS])}…</div><details class="rk-fold"><summary>'
                f"show all {len(text):,} characters</summary><div class=\"rk-text\">{html.escape(text)}</div></details>")
    return f'<div class="rk-text">{html.escape(text)}</div>'



def _card(row, cutoff: str | None, query_chars: int = 0) -> str:
    if row.passes is None:  # no cut-off chosen: the order is all the model learned, so no verdict
        colour, marked, title = NEUTRAL_COLOUR, "unset", "no cut-off chosen"
    else:
        colour = PASS_COLOUR if row.passes else FAIL_COLOUR
        marked, title = str(row.passes).lower(), f"{'kept by' if row.passes else 'cut by'} {cutoff}"
    return (
        f'<div class="rk-card" data-passes="{marked}" data-index="{row.index}" '
        f'style="border-left-color:{colour}" title="{html.escape(title)}">'
        f'<div class="rk-rank">#{row.rank}</div><div class="rk-body">'
        f'<span class="rk-score" style="color:{colour}">{row.score:.4f}</span>'
        f'<span class="rk-logit">raw logit {row.logit:+.4f} · input #{row.index}</span>'
        f'<div class="rk-bar"><div style="width:{100 * row.score:.1f}%;background:{colour}"></div></div>'
        f"{passage_html(row.text, row.n_tokens, row.n_cut if row.truncated else 0, query_chars=query_chars)}</div></div>"
    )


def ranking_html(ranking: Ranking, *, banner: bool = False) -> str:
    """Render a ranking as score cards: sigmoid score (4 decimals), raw logit in grey, a bar, the text.

    Cards are grey until a cut-off is chosen (:meth:`~rerankkit.scoring.results.Ranking.with_top_k`,
    :meth:`~rerankkit.scoring.results.Ranking.with_gap`, :meth:`~rerankkit.scoring.results.Ranking.with_threshold`);
    then kept rows are green and cut rows red, and the header names the cut-off (a threshold says whether it
    was calibrated). The header names the model with its label (which says "random weights" when it applies);
    ``banner=True`` adds the yellow random-weights banner, for a ranking shown on its own (notebooks show one
    notice, once).

    Example:
        >>> from rerankkit.scoring.results import Ranking
        >>> r = Ranking.from_scores(query="q", texts=["a", "b"], logits=[2.0, -2.0], n_tokens=[5, 5], n_cut=[0, 0])
        >>> html = ranking_html(r)
        >>> html.count('class="rk-card"'), "0.8808" in html, 'data-passes="true"' in html
        (2, True, False)
        >>> 'data-passes="true"' in ranking_html(r.with_top_k(1))
        True
    """
    if ranking.cutoff is None:
        verdict = ("no cut-off chosen: the cards show the order only (what the model learned is the order within "
                   "a query); choose top-k, a gap to the top score, or a threshold calibrated on labelled pairs")
    else:
        n_pass = sum(bool(r.passes) for r in ranking)
        verdict = f"{html.escape(ranking.cutoff)}: {n_pass} kept (green), {len(ranking) - n_pass} cut (red)"
    head = (
        f'<div class="rk-head"><b>Query:</b> {html.escape(ranking.query)}<br>'
        f"<small>{len(ranking)} of {ranking.n_candidates} passages · model {html.escape(ranking.model_label)} · "
        f"sigmoid score = sigmoid(raw logit), in [0, 1], not a calibrated probability · {verdict}</small></div>"
    )
    warning = random_weights_banner(ranking.model_label) if banner and ranking.random_weights else ""
    cards = "".join(_card(row, ranking.cutoff, len(ranking.query)) for row in ranking)
    return styled(f'<div class="rk-ranking">{warning}{head}{cards}</div>')
