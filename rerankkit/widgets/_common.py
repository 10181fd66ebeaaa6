"""Pieces shared by the widget apps: model badge, status and error rendering, a busy guard."""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import ipywidgets as widgets

from rerankkit.display.style import random_weights_banner, styled
from rerankkit.errors import ModelUnavailableError

__all__ = ["model_badge", "status_html", "error_html", "busy", "friendly_message"]


def model_badge(info) -> str:
    """One line naming model, device and dtype, with the random-weights banner when it applies."""
    line = (
        f"<div class='rk-badge'><b>Model</b> {html.escape(info.model_id)} · <b>device</b> {html.escape(info.device)}"
        f" · <b>dtype</b> {html.escape(info.dtype)} · <b>max_length</b> {info.max_length}</div>"
    )
    return (random_weights_banner(info.model_id) if info.random_weights else "") + line


def status_html(text: str) -> str:
    """A grey status line (timing, counts, cache hits)."""
    return styled(f"<div class='rk-status'>{html.escape(text)}</div>")


def friendly_message(exc: BaseException) -> str:
    """The message a reader needs, without a traceback."""
    if isinstance(exc, ModelUnavailableError):
        return f"Model unavailable: {exc}"
    return f"{type(exc).__name__}: {exc}" if not isinstance(exc, (ValueError, TypeError)) else str(exc)


def error_html(exc: BaseException) -> str:
    """A readable red box for an error raised by a library call."""
    return styled(f"<div class='rk-error'><b>Could not run:</b> {html.escape(friendly_message(exc))}</div>")


@contextmanager
def busy(controls: Sequence[widgets.Widget], progress: widgets.FloatProgress | widgets.IntProgress | None = None
         ) -> Iterator[None]:
    """Disable the controls (and show the progress bar) while work runs; always restore them."""
    previous = [getattr(c, "disabled", False) for c in controls]
    for control in controls:
        control.disabled = True
    if progress is not None:
        progress.layout.visibility = "visible"
    try:
        yield
    finally:
        for control, was in zip(controls, previous):
            control.disabled = was
        if progress is not None:
            progress.layout.visibility = "hidden"
