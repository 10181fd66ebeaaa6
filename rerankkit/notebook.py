"""What every notebook does first: load the configured model (or fall back to tiny-random) and say, above
each result, when its scores come from random weights.

Example:
    >>> from rerankkit.notebook import load_or_tiny_random
    >>> rr = load_or_tiny_random("tiny-random")
    >>> rr.info.random_weights
    True
"""

from __future__ import annotations

import os
from typing import Any

from rerankkit.display.notices import announce
from rerankkit.display.style import random_weights_banner, timing_banner
from rerankkit.errors import ModelUnavailableError
from rerankkit.models.families import TINY_PREFIX, can_build_tiny
from rerankkit.models.hub import fetch_model, resolve_model_id
from rerankkit.scoring.loading import load
from rerankkit.scoring.reranker import Reranker

__all__ = ["load_or_tiny_random", "stand_in", "caution"]


# Why the page runs on tiny-random, for the page's one notice: {model id of the stand-in: one sentence}.
_FALLBACK_REASONS: dict[str, str] = {}


def load_or_tiny_random(model: str | os.PathLike | None = None, *, quiet: bool = False, **options: Any) -> Reranker:
    """:func:`rerankkit.load` ``model`` (default ``$RERANKKIT_MODEL``, else bge-reranker-v2-m3); when its weights
    are unavailable, say why and how to get them, and load ``tiny-random`` with the same options instead.

    ``quiet=True`` prints nothing: the page's one notice (:func:`caution`) then says, in one sentence, which
    model could not be loaded and the command that fetches it (app pages, where a long message would be noise).
    """
    spec = resolve_model_id(model)
    try:
        rr = load(spec, **options)
    except ModelUnavailableError as exc:
        if not quiet:
            print(f"Could not load {spec}.\n{exc}\n")
            print("Continuing on tiny-random: the real architecture with random weights (see the notice below).\n")
        rr = load("tiny-random", **options)
        _FALLBACK_REASONS[rr.info.model_id] = (f"{spec} is not available here (`rerankkit download {spec}` fetches "
                                               "its weights), so this page runs on tiny-random instead.")
    return rr


def stand_in(hub_id: str) -> str:
    """``hub_id`` when its weights are in the Hugging Face cache, else its offline stand-in
    ``tiny-random:<hub id>`` (same architecture and prompt, random weights) when the kit can build one,
    else ``hub_id`` unchanged (loading it then says what is missing).

    Example:
        >>> stand_in("cross-encoder/ms-marco-MiniLM-L6-v2") in {"cross-encoder/ms-marco-MiniLM-L6-v2",
        ...     "tiny-random:cross-encoder/ms-marco-MiniLM-L6-v2"}
        True
    """
    try:
        fetch_model(hub_id, download=False)
        return hub_id
    except ModelUnavailableError:
        return f"{TINY_PREFIX}{hub_id}" if can_build_tiny(hub_id) else hub_id


def caution(*models: Any, timing: bool = False, scope: str = "notebook") -> None:
    """The page's one notice: a banner, shown once after loading, when any of ``models`` (rerankers or
    encoders) has random weights; it says that every score from them on the page means nothing.
    ``timing=True`` words it for a notebook about speed: what the times are worth. ``scope`` names the page
    (``"notebook"``, or ``"page"`` for an app page).

    The models are recorded as announced (:mod:`rerankkit.display.notices`): widgets shown below carry no
    second banner for them.

    Each argument needs an ``info`` with ``random_weights`` (and optionally ``timing_only``) and ``model_id``.
    """
    from IPython.display import HTML, display

    shown = [m.info for m in models if m.info.random_weights]
    if not shown:
        return
    label = " / ".join(info.model_id for info in shown)
    timing_only = all(getattr(info, "timing_only", False) for info in shown)
    if timing:
        banner = timing_banner(label, same_shape=timing_only)
    else:
        reasons = " ".join(_FALLBACK_REASONS[i.model_id] for i in shown if i.model_id in _FALLBACK_REASONS)
        banner = random_weights_banner(label, timing_only=timing_only, scope=scope, reason=reasons or None)
    announce(*(info.model_id for info in shown))
    display(HTML(banner))
