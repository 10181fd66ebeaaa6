"""One stylesheet and one palette for every piece of HTML the kit emits, and the one random-weights note.

Every HTML fragment carries what it needs to look right on its own: fragments built from classes start
with :data:`STYLESHEET` (via :func:`styled`), and the random-weights banner is styled inline, so it shows
as a yellow box even on a page with no cards.

Example:
    >>> "background:#fff3cd" in random_weights_banner("tiny-random")
    True
    >>> styled("<b>x</b>").startswith("<style>")
    True
"""

from __future__ import annotations

import html

__all__ = [
    "PASS_COLOUR",
    "FAIL_COLOUR",
    "NEUTRAL_COLOUR",
    "MUTED_COLOUR",
    "WARN_COLOUR",
    "ROLE_COLOURS",
    "ROLE_BACKGROUNDS",
    "STYLESHEET",
    "styled",
    "random_weights_note",
    "random_weights_banner",
    "timing_note",
    "timing_banner",
]

PASS_COLOUR = "#2e7d32"  # green: normalized score at or above the threshold; raises the score
FAIL_COLOUR = "#c62828"  # red: below the threshold; lowers the score
NEUTRAL_COLOUR = "#616161"  # grey: other passages, unlabelled rows
MUTED_COLOUR = "#888"  # secondary figures (raw logits next to scores)
WARN_COLOUR = "#8a6d00"  # dark yellow: caveats in running text
# Passage roles in the case sets: text colour, and a pale background for whole cells.
ROLE_COLOURS = {"relevant": PASS_COLOUR, "partial": "#b28704", "distractor": FAIL_COLOUR, "negative": "#9e9e9e"}
ROLE_BACKGROUNDS = {"relevant": "#e8f5e9", "partial": "#fff8e1", "distractor": "#fdecea", "negative": "#f5f5f5"}

_BANNER_STYLE = "background:#fff3cd;border:1px solid #e0c36a;color:#5c4500;padding:6px 10px;border-radius:6px;margin:6px 0"

STYLESHEET = f"""<style>
.rk-ranking,.rk-explain,.rk-truncation{{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:100%;overflow-wrap:break-word}}
.rk-head{{margin:4px 0 8px 0;color:#333}}
.rk-banner{{{_BANNER_STYLE}}}
.rk-card{{display:flex;gap:12px;align-items:flex-start;border:1px solid #ddd;border-left-width:6px;
 border-radius:6px;padding:8px 10px;margin:6px 0;background:#fff}}
.rk-rank{{font-weight:700;font-size:1.1em;min-width:2.2em;color:#333}}
.rk-body{{flex:1;min-width:0}}
.rk-score{{font-weight:600}}
.rk-logit{{color:{MUTED_COLOUR};font-size:.85em;margin-left:8px}}
.rk-bar{{height:8px;background:#eee;border-radius:4px;margin:4px 0 6px 0}}
.rk-bar>div{{height:8px;border-radius:4px}}
.rk-text{{white-space:pre-wrap;color:#222}}
.rk-cut{{color:{WARN_COLOUR};font-size:.85em}}
.rk-explain{{line-height:1.9}}
.rk-explain .rk-side{{margin:4px 0 10px 0;white-space:pre-wrap}}
.rk-explain .rk-w{{border-radius:3px;padding:1px 2px}}
.rk-cutoff,.rk-truncation .rk-cut{{color:#999;text-decoration:line-through;background:#fdecea;font-size:inherit}}
.rk-explain .rk-legend{{font-size:.85em;color:#444}}
.rk-explain .rk-sw{{display:inline-block;width:2.2em;height:.9em;vertical-align:middle;border:1px solid #ccc}}
.rk-truncation .rk-passage{{white-space:pre-wrap}}
.rk-truncation .rk-lost{{color:{FAIL_COLOUR}}}
.rk-status{{color:#555;font-size:.9em}}
.rk-notice{{background:#fff8e1;border:1px solid #e0c36a;color:#5c4500;padding:4px 10px;border-radius:6px;margin:4px 0}}
.rk-table{{border-collapse:collapse;table-layout:auto;width:100%}}
.rk-table td,.rk-table th{{white-space:normal;overflow-wrap:break-word;vertical-align:top;padding:2px 8px;text-align:left}}
.rk-fold summary{{cursor:pointer;color:{WARN_COLOUR};font-size:.85em}}
.rk-error{{background:#fdecea;border:1px solid #f5c2c0;color:#611a15;padding:6px 10px;border-radius:6px}}
</style>
"""


def styled(fragment: str) -> str:
    """``fragment`` preceded by the stylesheet, so it renders the same wherever it is shown."""
    return STYLESHEET + fragment


def random_weights_note(*, timing_only: bool = False) -> str:
    """The one sentence that labels results from random weights (plain text, for output without HTML).

    Example:
        >>> random_weights_note()
        'random weights: scores mean nothing'
    """
    if timing_only:
        return "random weights, timing only: scores mean nothing"
    return "random weights: scores mean nothing"


def random_weights_banner(label: str, *, timing_only: bool = False, scope: str | None = None,
                          reason: str | None = None, real_models: list[str] | None = None) -> str:
    """A yellow banner (styled inline) saying the results come from random weights; ``scope`` (``"notebook"``
    or ``"page"``) says it once for every score, ranking and metric on that page that comes from the model;
    ``reason`` (one sentence) says why the page runs on it; ``real_models`` are the models whose real weights
    give real scores, each named with its own download command (default: BAAI/bge-reranker-v2-m3).

    Example:
        >>> "this page" in random_weights_banner("tiny-random", scope="page")
        True
    """
    name = label.split(" (random weights")[0]  # a ModelInfo.label already carries the warning
    what = (
        "its speed and memory are honest for this architecture; its scores mean nothing." if timing_only
        else "a test model with the real architecture; its scores exercise the code and mean nothing. "
        + ("Load BAAI/bge-reranker-v2-m3 for real scores." if not real_models else
           "For real scores: " + "; ".join(f"rerankkit download {html.escape(m)}" for m in real_models) + ".")
    )
    if scope:
        where = "in this notebook" if scope == "notebook" else f"on this {html.escape(scope)}"
        what += (f" This holds for every score, ranking and metric from it {where}; results that need no model "
                 "weights (BM25, token counts) are real and say so.")
    why = f" {html.escape(reason)}" if reason else ""
    return (f'<div class="rk-banner" style="{_BANNER_STYLE}"><b>Random weights.</b> {html.escape(name)} is '
            f"{what}{why}</div>")


def timing_note(*, random_weights: bool, timing_only: bool) -> str:
    """The caveat a timing row carries: about the timing, not about scores.

    Example:
        >>> timing_note(random_weights=True, timing_only=False)
        "tiny test model: these times are not the real model's"
        >>> timing_note(random_weights=True, timing_only=True)
        'random weights, real shape: the timing is honest'
    """
    if timing_only:
        return "random weights, real shape: the timing is honest"
    if random_weights:
        return "tiny test model: these times are not the real model's"
    return ""


def timing_banner(label: str, *, same_shape: bool) -> str:
    """A yellow banner (styled inline) above a timing result from random weights, saying what the times are worth."""
    what = (
        "has the real model's shape with random weights: its speed and memory are honest for this architecture."
        if same_shape else
        "is a tiny test model with random weights: these times show how the benchmark works, not how fast the "
        "real model is. Use random:BAAI/bge-reranker-v2-m3 (same shape) or the real weights for real figures."
    )
    return f'<div class="rk-banner" style="{_BANNER_STYLE}"><b>Timing caveat.</b> {html.escape(label)} {what}</div>'
