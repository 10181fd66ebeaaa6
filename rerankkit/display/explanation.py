"""HTML for explanations: the query and passage with words highlighted by sign and size."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from rerankkit.display.style import FAIL_COLOUR, PASS_COLOUR, random_weights_banner, styled

if TYPE_CHECKING:
    from rerankkit.explain.attributions import Explanation

__all__ = ["explanation_html", "highlight_html"]

def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha:.3f})"


def highlight_html(text: str, spans: list[tuple[int, int, float, str]], scale: float, cut_at: int | None = None) -> str:
    """Text with spans ``(start, end, value, tooltip)`` shaded green (value > 0) or red, alpha = |value| / scale.

    Example:
        >>> out = highlight_html("good bad", [(0, 4, 1.0, "+1"), (5, 8, -0.5, "-0.5")], scale=1.0)
        >>> out.count("rk-w"), "rgba(46,125,50,0.900)" in out
        (2, True)
    """
    parts, pos = [], 0
    for start, end, value, tip in sorted(spans):
        parts.append(html.escape(text[pos:start]))
        alpha = 0.9 * min(abs(value) / scale, 1.0) if scale > 0 else 0.0
        colour = _rgba(PASS_COLOUR if value > 0 else FAIL_COLOUR, alpha)
        parts.append(
            f'<span class="rk-w" data-value="{value:.6g}" title="{html.escape(tip)}" '
            f'style="background:{colour}">{html.escape(text[start:end])}</span>'
        )
        pos = end
    end_seen = len(text) if cut_at is None else max(cut_at, pos)
    parts.append(html.escape(text[pos:end_seen]))
    if cut_at is not None and end_seen < len(text):
        parts.append(
            f'<span class="rk-cutoff" title="cut by max_length: the model never saw this">'
            f"{html.escape(text[end_seen:])}</span>"
        )
    return "".join(parts)


def explanation_html(explanation: Explanation, *, banner: bool = False) -> str:
    """The query and passage with each word shaded by its attribution, a legend in logit units, a header.

    The header names the model with its label (which says "random weights" when it applies); ``banner=True`` adds
    the yellow random-weights banner.
    """
    ex = explanation
    scale = max((abs(w.attribution) for w in ex.words), default=0.0)

    def tip(w) -> str:
        if w.score_without is not None:
            return f"deleting {w.text!r}: {ex.score:+.3f} -> {w.score_without:+.3f} (change {-w.attribution:+.3f})"
        return f"{w.attribution:+.4f} logit"

    def side(name: str, text: str, cut_at: int | None) -> str:
        spans = [(w.start, w.end, w.attribution, tip(w)) for w in ex.words if w.side == name]
        return f'<div class="rk-side" data-side="{name}"><b>{name.capitalize()}:</b> ' \
               f"{highlight_html(text, spans, scale, cut_at)}</div>"

    warning = random_weights_banner(ex.model_label) if banner and ex.random_weights else ""
    if ex.method == "occlusion":
        what = (
            f"<b>Occlusion</b>: each word deleted in turn and the pair re-scored. Raw logit {ex.score:+.4f}; "
            "a word's value is the logit drop when it is deleted."
        )
    else:
        rel = ex.relative_delta
        what = (
            f"<b>Integrated gradients</b> ({ex.n_steps} steps, baseline: every non-special token "
            f"→ {html.escape(str(ex.baseline_token))}). Raw logit f(x) = {ex.score:+.4f}, "
            f"f(baseline) = {ex.baseline_score:+.4f}; attributions sum to {ex.total:+.4f} "
            f"(convergence delta {ex.delta:+.2e}" + (f", {rel:.1%} of the change)" if rel is not None else ")")
        )
    legend = (
        f'<div class="rk-legend"><span class="rk-sw" style="background:{_rgba(PASS_COLOUR, 0.9)}"></span> '
        f"+{scale:.3g} logit (raises the score) &nbsp; "
        f'<span class="rk-sw" style="background:{_rgba(FAIL_COLOUR, 0.9)}"></span> '
        f"−{scale:.3g} logit (lowers it); paler = smaller. Hover a word for its value."
        + (" <span class='rk-cutoff'>Struck-through</span> text was cut by max_length." if ex.passage_cut_at is not None
           else "")
        + "</div>"
    )
    return styled(
        f'<div class="rk-explain" data-method="{ex.method}">{warning}'
        f'<div class="rk-head">{what}<br><small>model {html.escape(ex.model_label)}</small></div>'
        f'{side("query", ex.query, None)}{side("passage", ex.passage, ex.passage_cut_at)}{legend}</div>'
    )
