"""Pieces shared by the widget apps: model badge, status and error rendering, a busy guard."""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import ipywidgets as widgets

from rerankkit.display.notices import announced, pointer
from rerankkit.display.style import random_weights_banner, styled
from rerankkit.errors import ModelUnavailableError

__all__ = ["model_badge", "page_banner", "status_html", "notice_html", "error_html", "busy", "friendly_message", "read_int",
           "FULL_WIDTH", "FIELD_WIDTH", "REOPEN_HINT"]

# Widgets fill the output area and never exceed it (no horizontal scrollbar); long words wrap.
FULL_WIDTH = {"width": "100%", "max_width": "100%", "overflow": "hidden"}
# A text box as wide as its box allows: ipywidgets adds a 2 px margin on each side, so a width of 100% would put
# the right border outside the clipping box above (cut off in JupyterLab, gone in Voila).
FIELD_WIDTH = "calc(100% - 4px)"
# A re-opened notebook has no kernel behind its widgets: JupyterLab then says "Error displaying widget".
REOPEN_HINT = "If this widget shows 'Error displaying widget' after the notebook was re-opened, run its cell again."


def model_badge(info, *, max_length: int | None = None) -> str:
    """One line naming model, device, dtype and max_length (``max_length`` overrides the model's), with the
    random-weights banner when it applies and the page has not shown it already (then a short pointer to it):
    one notice per page."""
    mark = ""
    if info.random_weights and announced(info.model_id):
        mark = f"<br>{pointer(info.model_id)}"
    line = (
        f"<div class='rk-badge'><b>Model</b> {html.escape(info.model_id)} · <b>device</b> {html.escape(info.device)}"
        f" · <b>dtype</b> {html.escape(info.dtype)} · <b>max_length</b> {max_length or info.max_length}{mark}</div>"
    )
    banner = info.random_weights and not announced(info.model_id)
    return (random_weights_banner(info.model_id) if banner else "") + line


def page_banner(model_ids: Sequence[str], banner: str) -> str:
    """``banner`` unless the page has announced every one of ``model_ids`` (then a pointer to that notice)."""
    if model_ids and all(announced(m) for m in model_ids):
        return "".join(f"<div>{pointer(m)}</div>" for m in model_ids)
    return banner


def status_html(text: str) -> str:
    """A grey status line (timing, counts, cache hits)."""
    return styled(f"<div class='rk-status'>{html.escape(text)}</div>")


def notice_html(text: str) -> str:
    """A yellow line inside the widget saying that a typed value was refused or changed."""
    return styled(f"<div class='rk-notice'>{html.escape(text)}</div>")


def read_int(text: str | int, name: str, low: int, high: int) -> tuple[int, str]:
    """A whole number typed into a box, kept within [low, high]: ``(value, note)``; the note says what changed.

    Raises:
        ValueError: When ``text`` is not a whole number, naming the box and the range.

    Example:
        >>> read_int("99999", "max_length", 16, 512)
        (512, 'max_length 99999 is above the largest allowed, 512: using 512.')
        >>> read_int(" 64 ", "max_length", 16, 512)
        (64, '')
    """
    try:
        value = int(str(text).strip())
    except ValueError:
        raise ValueError(f"{name}: {str(text).strip()!r} is not a whole number; type one from {low} to {high}") from None
    if value < low:
        return low, f"{name} {value} is below the smallest allowed, {low}: using {low}."
    if value > high:
        return high, f"{name} {value} is above the largest allowed, {high}: using {high}."
    return value, ""


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
