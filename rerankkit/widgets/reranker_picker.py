"""Reranker picker: tick models, press Compare, see quality, latency, memory and licence side by side.

All the work is :func:`rerankkit.evaluation.compare.compare_rerankers`; this module only wires a
multi-select and a button to it. After a run, ``.table`` holds the DataFrame, ``.error`` the last error
(or None) and ``.output.value`` the rendered table.

Example:
    >>> from rerankkit.widgets import RerankerPicker
    >>> picker = RerankerPicker(["tiny-random"], sets=["keyword_traps"], repeats=1)
    >>> picker.compare_button.click()
    >>> picker.error is None, list(picker.table["model"])
    (True, ['tiny-random'])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from rerankkit.display.style import random_weights_banner, styled
from rerankkit.evaluation.compare import real_model_of
from rerankkit.widgets._common import FULL_WIDTH, busy, error_html, page_banner, status_html

__all__ = ["RerankerPicker"]

# Columns shown in the widget; .table keeps them all.
SHOWN = ("model", "status", "random_weights", "nDCG@10", "MRR@10", "param_mb", "licence", "commercial_use")


class RerankerPicker(widgets.VBox):
    """A multi-select of model specs, a Compare button and the comparison table.

    Args:
        models: The specs to choose from (all ticked at first).
        sets: Case sets passed to ``compare_rerankers``.
        n_candidates: Passages per query for the latency column.
        repeats: Timed calls per model.
        loaded: Rerankers already loaded (reused, not loaded again).
        loader: How a spec becomes a reranker (default :func:`rerankkit.load`).
    """

    def __init__(self, models: Sequence[str], *, sets: Sequence[str] | None = None, n_candidates: int = 20,
                 repeats: int = 5, loaded: Sequence[Any] = (), loader: Callable[[str], Any] | None = None) -> None:
        options = list(dict.fromkeys(models))
        if not options:
            raise ValueError("models is empty: pass at least one model spec, e.g. ['tiny-random']")
        self.options: dict[str, Any] = dict(sets=sets, n_candidates=n_candidates, repeats=repeats, loaded=loaded,
                                            loader=loader)
        self.table = None
        self.error: BaseException | None = None
        # As wide as the longest name (never cut), within the output area.
        width = f"{min(70, max(len(o) for o in options) + 4)}ch"
        self.models = widgets.SelectMultiple(options=options, value=tuple(options), description="models",
                                             rows=min(8, len(options)),
                                             layout=widgets.Layout(width=f"calc({width} + 90px)", max_width="100%"))
        self.compare_button = widgets.Button(description="Compare", button_style="primary", icon="play")
        self.status = widgets.HTML(status_html(f"{len(options)} models to choose from; latency per {n_candidates} "
                                               "candidates is measured on this machine"))
        self.output = widgets.HTML()
        self.compare_button.on_click(lambda _: self.compare())
        controls = widgets.HBox([self.models, self.compare_button], layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([controls, self.status, self.output],
                         layout=widgets.Layout(**FULL_WIDTH))

    def compare(self) -> None:
        """Compare the ticked models and render the table (errors shown in the widget)."""
        from rerankkit.evaluation.compare import compare_rerankers

        self.error = None
        with busy([self.models, self.compare_button]):
            try:
                if not self.models.value:
                    raise ValueError("tick at least one model")
                kwargs = {k: v for k, v in self.options.items() if v is not None}
                table = compare_rerankers(list(self.models.value), **kwargs)
            except Exception as exc:  # shown to the reader as a message, never a traceback
                self.error, self.table = exc, None
                self.output.value = error_html(exc)
                self.status.value = status_html("comparison did not run")
                return
        self.table = table
        latency = next(c for c in table.columns if c.startswith("ms_per_"))
        shown = table[[*SHOWN[:5], latency, *SHOWN[5:]]].round(3).astype(object).where(table.notna(), "-")
        random = table[table["random_weights"] == True]["model"].tolist()  # noqa: E712 (None where not run)
        real = list(dict.fromkeys(real_model_of(m) for m in random))  # each model's own download command
        banner = page_banner(random, random_weights_banner(" / ".join(random), real_models=real)) if random else ""
        self.output.value = banner + styled(shown.to_html(index=False, classes="rk-table", escape=True))
        ran = int((table["status"] == "ok").sum())
        self.status.value = status_html(f"{ran} of {len(table)} models ran; {latency} is the median of the timed "
                                        "calls after a warm-up; .table has every column")
