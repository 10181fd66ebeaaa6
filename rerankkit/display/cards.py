"""HTML score cards for rankings (used by ``Ranking._repr_html_`` and the widgets)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rerankkit.scoring.results import Ranking

from rerankkit.display.style import FAIL_COLOUR, PASS_COLOUR, random_weights_banner, styled

__all__ = ["ranking_html"]



def _card(row, threshold: float) -> str:
    colour = PASS_COLOUR if row.passes else FAIL_COLOUR
    verdict = "at or above" if row.passes else "below"
    cut = (
        f'<div class="rk-cut">truncated: {row.n_cut} tokens cut to fit max_length ({row.n_tokens} kept)</div>'
        if row.truncated
        else ""
    )
    return (
        f'<div class="rk-card" data-passes="{str(row.passes).lower()}" data-index="{row.index}" '
        f'style="border-left-color:{colour}" title="score {verdict} threshold {threshold:.2f}">'
        f'<div class="rk-rank">#{row.rank}</div><div class="rk-body">'
        f'<span class="rk-score" style="color:{colour}">{row.score:.4f}</span>'
        f'<span class="rk-logit">raw logit {row.logit:+.4f} · input #{row.index}</span>'
        f'<div class="rk-bar"><div style="width:{100 * row.score:.1f}%;background:{colour}"></div></div>'
        f'<div class="rk-text">{html.escape(row.text)}</div>{cut}</div></div>'
    )


def ranking_html(ranking: Ranking, *, banner: bool = True) -> str:
    """Render a ranking as score cards: normalized score (4 decimals), raw logit in grey, a bar, the text.

    ``banner=False`` leaves out the random-weights banner, for views that already show one.

    Example:
        >>> from rerankkit.scoring.results import Ranking
        >>> r = Ranking.from_scores(query="q", texts=["a", "b"], logits=[2.0, -2.0], n_tokens=[5, 5], n_cut=[0, 0])
        >>> html = ranking_html(r)
        >>> html.count('class="rk-card"'), "0.8808" in html
        (2, True)
    """
    n_pass = sum(r.passes for r in ranking)
    head = (
        f'<div class="rk-head"><b>Query:</b> {html.escape(ranking.query)}<br>'
        f"<small>{len(ranking)} of {ranking.n_candidates} passages · model {html.escape(ranking.model_label)} · "
        f"score = sigmoid(raw logit), in [0, 1] · threshold {ranking.threshold:.2f}: "
        f"{n_pass} at or above (green), {len(ranking) - n_pass} below (red)</small></div>"
    )
    warning = random_weights_banner(ranking.model_label) if banner and ranking.random_weights else ""
    cards = "".join(_card(row, ranking.threshold) for row in ranking)
    return styled(f'<div class="rk-ranking">{warning}{head}{cards}</div>')
