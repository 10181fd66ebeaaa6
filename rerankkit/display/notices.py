"""One random-weights notice per page: which models the page (a notebook's kernel, an app page) has announced.

A notebook or app page announces its models once, at the top (:func:`rerankkit.notebook.caution`). A widget
shown further down then carries no banner of its own for those models, only a short pointer to the notice;
a widget on a page that announced nothing still carries its one banner.

Example:
    >>> forget()
    >>> announced("tiny-random")
    False
    >>> announce("tiny-random")
    >>> announced("tiny-random"), pointer("tiny-random").startswith("<span")
    (True, True)
    >>> forget()
"""

from __future__ import annotations

import html

from rerankkit.display.style import MUTED_COLOUR

__all__ = ["announce", "announced", "forget", "pointer"]

# One kernel serves one page (a notebook, a Voila app page), so the page's memory is this process's.
_ANNOUNCED: set[str] = set()


def announce(*model_ids: str) -> None:
    """Record that this page has shown the random-weights notice for these models."""
    _ANNOUNCED.update(model_ids)


def announced(model_id: str) -> bool:
    """Whether this page has already shown the random-weights notice for ``model_id``."""
    return model_id in _ANNOUNCED


def forget() -> None:
    """Forget every announcement (a new page; tests)."""
    _ANNOUNCED.clear()


def pointer(model_id: str) -> str:
    """The short grey mark a widget shows instead of a second banner."""
    return (f"<span class='rk-notice-pointer' style='color:{MUTED_COLOUR}'>{html.escape(model_id)}: random "
            "weights, see the notice at the top of this page</span>")
