"""The scoring playground: type a query and passages, press Rerank, read the score cards.

All scoring is :meth:`Reranker.rerank <rerankkit.scoring.reranker.Reranker.rerank>`; moving the
threshold re-marks the last ranking with :meth:`Ranking.with_threshold
<rerankkit.scoring.results.Ranking.with_threshold>` (no model call). The widget keeps its results in
observable state (``cards.value``, ``table.value``, ``status.value``, ``error.value``,
``ranking``, ``model_calls``, ``cache_hits``, ``latency``), so tests drive it with ``button.click()``.
The status line shows the latest rerank's time and the session's median and p95
(:class:`rerankkit.measure.latency.LatencyLog`: model calls only; the first call after the widget loaded
the model is the cold one).
"""

from __future__ import annotations

import html
import os
import time
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import ipywidgets as widgets

from rerankkit._utils.checks import validate_pairs
from rerankkit.display.cards import ranking_html
from rerankkit.display.style import styled
from rerankkit.errors import TruncationWarning
from rerankkit.measure.latency import LatencyLog
from rerankkit.models.hub import resolve_model_id
from rerankkit.score_scale import THRESHOLD_PRESETS, resolve_threshold
from rerankkit.widgets._common import (
    FULL_WIDTH,
    busy,
    error_html,
    friendly_message,
    model_badge,
    notice_html,
    read_int,
    status_html,
)

if TYPE_CHECKING:
    from rerankkit.scoring.reranker import Reranker
    from rerankkit.scoring.results import Ranking

__all__ = ["ScoringPlayground", "ranking_table_html"]

_TABLE_COLUMNS = {
    "index": "input index",
    "text": "text",
    "logit": "raw logit",
    "score": "sigmoid score",
    "n_tokens": "tokens",
    "truncated": "truncated",
}


def ranking_table_html(ranking: Ranking) -> str:
    """The raw table of a ranking (rank order): input index, text, raw logit, sigmoid score, tokens, truncated.

    Example:
        >>> from rerankkit.scoring.results import Ranking
        >>> r = Ranking.from_scores(query="q", texts=["a", "b"], logits=[-1.0, 2.0], n_tokens=[4, 4], n_cut=[0, 0])
        >>> "sigmoid score" in ranking_table_html(r)
        True
    """
    frame = ranking.to_frame()[list(_TABLE_COLUMNS)].rename(columns=_TABLE_COLUMNS)
    table = frame.to_html(index=False, escape=True, float_format=lambda x: f"{x:.4f}", classes="rk-table", border=0)
    # Columns get padding and wrap inside the output area; only the height scrolls.
    return styled(f"<div class='rk-table-wrap' style='max-height:320px;overflow-y:auto;overflow-x:hidden'>{table}</div>")


def _passage_lines(text: str) -> list[str]:
    """One passage per non-blank line."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class ScoringPlayground(widgets.VBox):
    """A query box, a passages box (one per line), max_length, a threshold with presets, and Rerank.

    Args:
        reranker: A loaded :class:`~rerankkit.scoring.reranker.Reranker`, or a model spec (hub id, folder,
            ``"tiny-random"``) loaded on the first Rerank; ``None`` means ``$RERANKKIT_MODEL`` or
            the default model.
        query: Initial query.
        passages: Initial passages (a list, or one string with one passage per line).
        threshold: Initial threshold: a preset name or a sigmoid score in [0, 1].
        max_length: Initial tokens per pair (default: the reranker's).
        cache_size: Rankings kept, keyed on (query, passages, max_length).

    Attributes:
        ranking: The ranking shown, or ``None``.
        model_calls: Times the model was asked to score.
        cache_hits: Times a Rerank was answered from the cache.
        latency: Wall times of the model calls (:class:`~rerankkit.measure.latency.LatencyLog`).
        last_error: The message shown in the error box, or ``None``.
        notice_text: The last note about a typed value that was refused or changed ("" when none).
        status_text: The status line as plain text.

    Example:
        >>> import rerankkit
        >>> app = ScoringPlayground(rerankkit.load("tiny-random"), query="capital of France?",
        ...                         passages=["Paris is the capital of France.", "Berlin is in Germany."])
        >>> app.button.click()
        >>> len(app.ranking), app.model_calls, app.cards.value.count('class="rk-card"')
        (2, 1, 2)
    """

    def __init__(
        self,
        reranker: Reranker | str | os.PathLike | None = None,
        *,
        query: str = "",
        passages: Sequence[str] | str = (),
        threshold: float | str = "balanced",
        max_length: int | None = None,
        cache_size: int = 32,
    ) -> None:
        from rerankkit.scoring.reranker import Reranker

        if isinstance(reranker, Reranker):
            self._reranker: Reranker | None = reranker
            self._spec = reranker.info.model_id
        else:
            self._reranker = None
            self._spec = resolve_model_id(reranker)
        self._cache: OrderedDict[tuple, Ranking] = OrderedDict()
        self._cache_size = max(1, int(cache_size))
        self.ranking: Ranking | None = None
        self.model_calls = 0
        self.cache_hits = 0
        # A model handed in may have run before: its first call here is not labelled cold.
        self.latency = LatencyLog(cold=self._reranker is None)
        self.last_error: str | None = None
        self._status_prefix = ""
        self.status_text = ""
        self.notice_text = ""
        self._syncing = False  # True while the widget itself rewrites a box (its observers then stay quiet)

        start = resolve_threshold(threshold)
        self.max_length_limit = self._reranker.info.model_max_length if self._reranker else 8192
        self.badge = widgets.HTML()
        self.query = widgets.Text(value=query, description="Query", placeholder="Type a question",
                                  layout=widgets.Layout(width="100%"))
        self.passages = widgets.Textarea(
            value=passages if isinstance(passages, str) else "\n".join(passages), description="Passages",
            placeholder="One passage per line", layout=widgets.Layout(width="100%", height="160px"),
        )
        # Plain text boxes: a typed value that is refused or changed is reported in the widget, never
        # clamped or dropped silently by the browser.
        self.max_length = widgets.Text(
            value=str(max_length or (self._reranker.info.max_length if self._reranker else 512)),
            description="max_length", tooltip="Tokens per pair kept; longer pairs lose the end of the passage",
            continuous_update=False, layout=widgets.Layout(width="200px"),
        )
        self.threshold = widgets.FloatSlider(
            value=start, min=0.0, max=1.0, step=0.01, readout=False, description="Threshold",
            tooltip="Cut-off on the sigmoid score (sigmoid of the raw logit; not a calibrated probability)",
            layout=widgets.Layout(width="260px"),
        )
        self.threshold_box = widgets.Text(value=f"{start:.2f}", continuous_update=False,
                                          tooltip="A number in [0, 1] or a preset name",
                                          layout=widgets.Layout(width="90px"))
        self.notice = widgets.HTML()
        names = list(THRESHOLD_PRESETS)
        self.preset = widgets.ToggleButtons(
            options=[(f"{n} {THRESHOLD_PRESETS[n].value:.1f}", n) for n in names],
            tooltips=[THRESHOLD_PRESETS[n].rationale for n in names],
            value=self._preset_for(start), style={"button_width": "130px"},
        )
        self.button = widgets.Button(description="Rerank", button_style="primary", icon="sort",
                                     tooltip="Score every passage against the query and rank them")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="Scoring",
                                            layout=widgets.Layout(visibility="hidden", width="300px"))
        self.status = widgets.HTML()
        self.error = widgets.HTML()
        self.cards = widgets.HTML()
        self.show_table = widgets.ToggleButton(value=False, description="Raw table", icon="table",
                                               tooltip="Show every row: input index, text, raw logit, "
                                                       "sigmoid score, tokens, truncated")
        self.table = widgets.HTML(layout=widgets.Layout(display="none"))

        self.button.on_click(lambda _: self.rerank())
        self.threshold.observe(self._on_threshold, names="value")
        self.threshold_box.observe(self._on_threshold_box, names="value")
        self.max_length.observe(self._on_max_length, names="value")
        self.preset.observe(self._on_preset, names="value")
        self.show_table.observe(self._on_table_toggle, names="value")
        self._render_badge()
        super().__init__(
            [
                self.badge,
                self.query,
                self.passages,
                widgets.HBox([self.max_length, self.threshold, self.threshold_box],
                             layout=widgets.Layout(flex_flow="row wrap")),
                self.preset,
                self.notice,
                widgets.HBox([self.button, self.progress, self.show_table]),
                self.status,
                self.error,
                self.cards,
                self.table,
            ],
            layout=widgets.Layout(**FULL_WIDTH),
        )

    # -- state -----------------------------------------------------------------------------
    @property
    def reranker(self) -> Reranker | None:
        """The reranker in use (``None`` until a model spec has been loaded)."""
        return self._reranker

    @staticmethod
    def _preset_for(value: float) -> str | None:
        return next((name for name, p in THRESHOLD_PRESETS.items() if abs(p.value - value) < 1e-9), None)

    def _say(self, text: str) -> None:
        self.notice_text = text
        self.notice.value = notice_html(text) if text else ""

    def _read_max_length(self, *, keep_note: bool = False) -> int:
        """The max_length box as a number within [16, the model's limit]; a change is said in the widget
        (``keep_note`` leaves an earlier note up when nothing changes now)."""
        value, note = read_int(self.max_length.value, "max_length", 16, self.max_length_limit)
        if note or not keep_note:
            self._say(note)
        self._set_quietly(self.max_length, str(value))
        self._render_badge()
        return value

    def _set_quietly(self, box: widgets.Text, text: str) -> None:
        self._syncing = True
        try:
            box.value = text
        finally:
            self._syncing = False

    def _on_max_length(self, _change: dict) -> None:
        if self._syncing:
            return
        try:
            self._read_max_length()
        except ValueError as exc:
            self._say(f"{exc}; nothing is scored until it is fixed.")

    def _render_badge(self) -> None:
        if self._reranker is not None:
            try:
                shown = int(self.max_length.value)
            except ValueError:
                shown = None
            self.badge.value = model_badge(self._reranker.info, max_length=shown)
        else:
            self.badge.value = (f"<div class='rk-badge'><b>Model</b> {html.escape(self._spec)} "
                                "(loads on the first Rerank)</div>")

    def _show_error(self, exc: BaseException) -> None:
        self.last_error = friendly_message(exc)
        self.error.value = error_html(exc)

    def _clear_error(self) -> None:
        self.last_error = None
        self.error.value = ""

    def _ensure_reranker(self) -> Reranker:
        if self._reranker is None:
            from rerankkit.scoring.loading import load

            self.status.value = status_html(f"Loading {self._spec} ...")
            self._reranker = load(self._spec)
            self.max_length_limit = self._reranker.info.model_max_length
            self._render_badge()
        return self._reranker

    # -- actions ---------------------------------------------------------------------------
    def rerank(self) -> Ranking | None:
        """Score the passages against the query (or reuse a cached ranking) and show the cards.

        Returns the ranking, or ``None`` after showing an error inside the widget.
        """
        self._clear_error()
        controls = [self.button, self.query, self.passages, self.max_length]
        with busy(controls, self.progress):
            self.progress.value = 0
            try:
                query, texts = self.query.value, _passage_lines(self.passages.value)
                validate_pairs(query, texts)  # bad input is reported before any model is loaded
                reranker = self._ensure_reranker()
                key = (query, tuple(texts), self._read_max_length(keep_note=True))
                started = time.perf_counter()
                ranking = self._cache.get(key)
                from_cache = ranking is not None
                if from_cache:
                    self._cache.move_to_end(key)
                    self.cache_hits += 1
                else:
                    # Truncation is reported in the status line and on the cards, not as a log warning.
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", TruncationWarning)
                        called = time.perf_counter()
                        ranking = reranker.rerank(query, texts, max_length=key[2], show_progress=False)
                        self.latency.add(time.perf_counter() - called)
                    self.model_calls += 1
                    self._cache[key] = ranking
                    if len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
                seconds = time.perf_counter() - started
            except Exception as exc:  # every failure becomes a readable message in the widget
                self.ranking = None
                self.cards.value = self.table.value = ""
                self.status_text = "Nothing scored."
                self.status.value = status_html(self.status_text)
                self._show_error(exc)
                return None
            self.progress.value = 1
        assert ranking is not None
        self.ranking = ranking.with_threshold(self.threshold.value)
        n = len(ranking)
        if from_cache:
            timing = f"Served {n} passages from the cache in {seconds * 1e3:.1f} ms (no model call)"
        else:
            timing = f"Scored {n} passages in {seconds * 1e3:.1f} ms on {reranker.info.device}"
        n_cut = sum(r.truncated for r in ranking)
        if n_cut:
            timing += f"; {n_cut} passage(s) truncated to max_length={key[2]}"
        self._status_prefix = (f"{timing} · model calls {self.model_calls}, cache hits {self.cache_hits}"
                               f" · latency: {self.latency.text()}")
        self._render()
        return self.ranking

    def _render(self) -> None:
        if self.ranking is None:
            return
        n_pass = sum(r.passes for r in self.ranking)
        self.cards.value = ranking_html(self.ranking, banner=False)  # the header shows it already
        self.table.value = ranking_table_html(self.ranking)
        self.status_text = (
            f"{self._status_prefix} · threshold {self.ranking.threshold:.2f}: {n_pass} of {len(self.ranking)} pass"
        )
        self.status.value = status_html(self.status_text)

    def _on_threshold_box(self, change: dict) -> None:
        if self._syncing:
            return
        text = change["new"].strip()
        current = self.threshold.value
        try:
            value = resolve_threshold(text) if text in THRESHOLD_PRESETS else float(text)
        except ValueError:
            self._say(f"threshold {text!r} is not a number in [0, 1] or a preset ({', '.join(THRESHOLD_PRESETS)}): "
                      f"kept {current:.2f}.")
            self._set_quietly(self.threshold_box, f"{current:.2f}")
            return
        if not 0.0 <= value <= 1.0:  # NaN fails both comparisons
            clipped = 0.0 if value < 0 else 1.0 if value > 1 else current
            self._say(f"threshold {text} is outside [0, 1] (a sigmoid score): using {clipped:.2f}.")
            value = clipped
        else:
            self._say("")
        self.threshold.value = value
        self._set_quietly(self.threshold_box, f"{value:.2f}")

    def _on_threshold(self, change: dict) -> None:
        self._set_quietly(self.threshold_box, f"{change['new']:.2f}")
        self.preset.value = self._preset_for(change["new"])
        if self.ranking is not None:
            self.ranking = self.ranking.with_threshold(change["new"])
            self._render()

    def _on_preset(self, change: dict) -> None:
        if change["new"] is not None:
            self.threshold.value = THRESHOLD_PRESETS[change["new"]].value

    def _on_table_toggle(self, change: dict) -> None:
        self.table.layout.display = None if change["new"] else "none"

    def __repr__(self) -> str:
        return f"ScoringPlayground(model={self._spec!r}, model_calls={self.model_calls}, cache_hits={self.cache_hits})"
