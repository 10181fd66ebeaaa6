"""The scoring playground: type a query and passages, press Rerank, read the score cards.

All scoring is :meth:`Reranker.rerank <rerankkit.scoring.reranker.Reranker.rerank>`. The cards show the
order only until the reader chooses a cut-off: per query first (top-k, a gap to the top score), or a
threshold. The threshold presets are the articles' suggested starting points, uncalibrated; Calibrate
replaces them with the threshold that reaches a precision target on labelled pairs
(:func:`rerankkit.evaluation.calibration.precision_target_threshold`) and says what it was fitted on.
Changing the cut-off re-marks the last ranking (:meth:`Ranking.with_top_k
<rerankkit.scoring.results.Ranking.with_top_k>`, ``with_gap``, ``with_threshold``; no model call). The widget keeps its results in
observable state (``cards.value``, ``table.value``, ``status.value``, ``error.value``,
``ranking``, ``model_calls``, ``cache_hits``, ``latency``), so tests drive it with ``button.click()``.
The status line shows the latest rerank's time and the session's median and p95
(:class:`rerankkit.measure.latency.LatencyLog`: model calls only; the first call after the widget loaded
the model is the cold one).
"""

from __future__ import annotations

import html
import math
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
from rerankkit.score_scale import THRESHOLD_PRESETS, UNCALIBRATED_NOTE, resolve_threshold
from rerankkit.widgets._common import (
    FIELD_WIDTH,
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
    import pandas as pd

    from rerankkit.evaluation.calibration import CalibratedThreshold
    from rerankkit.scoring.reranker import Reranker
    from rerankkit.scoring.results import Ranking

__all__ = ["ScoringPlayground", "ranking_table_html"]

# The cut-offs the reader can choose, per-query ones first; "none" shows the order only.
CUTOFFS = [("order only", "none"), ("top-k", "top_k"), ("gap to top", "gap"), ("threshold", "threshold")]

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
    """A query box, a passages box (one per line), max_length, a cut-off, and Rerank.

    The cut-off starts at "order only" (no card is marked); the reader chooses top-k, a gap to the top
    score, or a threshold (uncalibrated presets, or Calibrate: fitted on labelled pairs).

    Args:
        reranker: A loaded :class:`~rerankkit.scoring.reranker.Reranker`, or a model spec (hub id, folder,
            ``"tiny-random"``) loaded on the first Rerank; ``None`` means ``$RERANKKIT_MODEL`` or
            the default model.
        query: Initial query.
        passages: Initial passages (a list, or one string with one passage per line).
        threshold: Initial threshold: a preset name or a sigmoid score in [0, 1]; given, the cut-off starts at
            "threshold" (labelled uncalibrated). Default ``None``: order only.
        max_length: Initial tokens per pair (default: the reranker's).
        cache_size: Rankings kept, keyed on (query, passages, max_length).
        calibration_pairs: Labelled pairs Calibrate fits the threshold on (columns ``query``, ``passage``,
            ``label``; default: the packaged case sets, see
            :func:`~rerankkit.evaluation.calibration.labelled_pairs`).
        precision_target: The precision Calibrate's threshold must reach on those pairs.

    Attributes:
        ranking: The ranking shown, or ``None``.
        model_calls: Times the model was asked to score.
        cache_hits: Times a Rerank was answered from the cache.
        latency: Wall times of the model calls (:class:`~rerankkit.measure.latency.LatencyLog`).
        last_error: The message shown in the error box, or ``None``.
        notice_text: The notes about typed values that were refused or changed, still true now ("" when none).
        calibration: The last Calibrate result (:class:`~rerankkit.evaluation.calibration.CalibratedThreshold`).
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
        threshold: float | str | None = None,
        max_length: int | None = None,
        cache_size: int = 32,
        calibration_pairs: pd.DataFrame | None = None,
        precision_target: float = 0.8,
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
        self._notes: dict[str, str] = {}  # one note per box; a box's note goes when the box's value is fine again
        self._syncing = False  # True while the widget itself rewrites a box (its observers then stay quiet)
        self.calibration: CalibratedThreshold | None = None
        self._calibration_pairs = calibration_pairs
        self._precision_target = precision_target
        self._threshold_source: str | None = None  # set by Calibrate; any other threshold is uncalibrated

        start = resolve_threshold(threshold)
        self.max_length_limit = self._reranker.info.model_max_length if self._reranker else 8192
        self.badge = widgets.HTML()
        self.query = widgets.Text(value=query, description="Query", placeholder="Type a question",
                                  layout=widgets.Layout(width=FIELD_WIDTH))
        self.passages = widgets.Textarea(
            value=passages if isinstance(passages, str) else "\n".join(passages), description="Passages",
            placeholder="One passage per line", layout=widgets.Layout(width=FIELD_WIDTH, height="160px"),
        )
        # Plain text boxes: a typed value that is refused or changed is reported in the widget, never
        # clamped or dropped silently by the browser.
        self.max_length = widgets.Text(
            value=str(max_length or (self._reranker.info.max_length if self._reranker else 512)),
            description="max_length", tooltip="Tokens per pair kept; longer pairs lose the end of the passage",
            continuous_update=False, layout=widgets.Layout(width="200px"),
        )
        self.cutoff = widgets.ToggleButtons(
            options=CUTOFFS, value="none" if threshold is None else "threshold", description="Cut-off",
            tooltips=["No card is marked: the order within the query is what the model learned",
                      "Keep the best k passages of this query", "Keep the passages within a gap (in raw logits) "
                      "of this query's top score", "Keep passages whose sigmoid score reaches a threshold: "
                      "calibrate it on labelled pairs"],
            style={"button_width": "100px"},
        )
        self.top_k = widgets.Text(value="3", description="k", continuous_update=False,
                                  tooltip="Passages kept per query", layout=widgets.Layout(width="160px"))
        self.gap = widgets.Text(value="2.0", description="gap (logits)", continuous_update=False,
                                tooltip="Keep passages whose raw logit is at most this far below the top one",
                                style={"description_width": "initial"}, layout=widgets.Layout(width="180px"))
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
            options=[(THRESHOLD_PRESETS[n].label, n) for n in names],
            tooltips=[THRESHOLD_PRESETS[n].rationale for n in names],
            value=self._preset_for(start) if threshold is not None else None, style={"button_width": "170px"},
        )
        self.calibrate_button = widgets.Button(
            description="Calibrate", icon="balance-scale",
            tooltip=f"Fit the threshold that reaches precision {precision_target:.2f} on labelled pairs "
                    "(replaces the preset)")
        self.calibration_note = widgets.HTML()
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
        self.calibrate_button.on_click(lambda _: self.calibrate())
        self.cutoff.observe(self._on_cutoff, names="value")
        self.top_k.observe(self._on_cut_box, names="value")
        self.gap.observe(self._on_cut_box, names="value")
        self.threshold.observe(self._on_threshold, names="value")
        self.threshold_box.observe(self._on_threshold_box, names="value")
        self.max_length.observe(self._on_max_length, names="value")
        self.preset.observe(self._on_preset, names="value")
        self.show_table.observe(self._on_table_toggle, names="value")
        self._render_badge()
        self.threshold_row = widgets.HBox([self.threshold, self.threshold_box],
                                          layout=widgets.Layout(flex_flow="row wrap"))
        self.preset_row = widgets.HBox([self.preset, self.calibrate_button],
                                       layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        self._show_cutoff_controls()
        super().__init__(
            [
                self.badge,
                self.query,
                self.passages,
                self.max_length,
                self.cutoff,
                self.top_k,
                self.gap,
                self.threshold_row,
                self.preset_row,
                self.calibration_note,
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

    def _say(self, text: str, about: str = "threshold") -> None:
        """Set (or, with ``""``, clear) the note about one box; the notice shows the notes still true."""
        if text:
            self._notes[about] = text
        else:
            self._notes.pop(about, None)
        self.notice_text = " ".join(self._notes.values())
        self.notice.value = "".join(notice_html(t) for t in self._notes.values())

    def _read_max_length(self, *, keep_note: bool = False) -> int:
        """The max_length box as a number within [16, the model's limit]; a change is said in the widget
        (``keep_note`` leaves an earlier note up when nothing changes now)."""
        value, note = read_int(self.max_length.value, "max_length", 16, self.max_length_limit)
        if note or not keep_note:
            self._say(note, "max_length")
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
            self._say(f"{exc}; nothing is scored until it is fixed.", "max_length")

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
        self.ranking = ranking
        n = len(ranking)
        if from_cache:
            took = "under 1 ms" if seconds < 1e-3 else f"{seconds * 1e3:.0f} ms"
            timing = f"Served {n} passages from the cache ({took}, no model call)"
        else:
            timing = f"Scored {n} passages in {seconds * 1e3:.1f} ms on {reranker.info.device}"
        n_cut = sum(r.truncated for r in ranking)
        if n_cut:
            timing += f"; {n_cut} passage(s) truncated to max_length={key[2]}"
        self._status_prefix = (f"{timing} · model calls {self.model_calls}, cache hits {self.cache_hits}"
                               f" · latency: {self.latency.text(cached=from_cache)}")
        self._render()
        return self.ranking

    def _marked(self, ranking: Ranking) -> Ranking:
        """The ranking marked by the chosen cut-off (a box that does not read is reported, and nothing marked)."""
        mode = self.cutoff.value
        if mode == "top_k":
            try:
                k, note = read_int(self.top_k.value, "k", 1, 10_000)
            except ValueError as exc:
                self._say(f"{exc}; no card is marked until it is fixed.", "cut")
                return ranking.with_threshold(None)
            self._say(note, "cut")
            self._set_quietly(self.top_k, str(k))
            return ranking.with_top_k(k)
        if mode == "gap":
            try:
                gap = float(self.gap.value)
            except ValueError:
                gap = math.nan
            if not math.isfinite(gap) or gap < 0:
                self._say(f"gap {self.gap.value.strip()!r} is not a number of logits >= 0; no card is marked "
                          "until it is fixed.", "cut")
                return ranking.with_threshold(None)
            self._say("", "cut")
            return ranking.with_gap(gap)
        self._say("", "cut")
        if mode == "threshold":
            return ranking.with_threshold(self.threshold.value, source=self._threshold_source)
        return ranking.with_threshold(None)

    def _render(self) -> None:
        if self.ranking is None:
            return
        self.ranking = self._marked(self.ranking)
        self.cards.value = ranking_html(self.ranking, banner=False)  # the header shows it already
        self.table.value = ranking_table_html(self.ranking)
        if self.ranking.cutoff is None:
            marks = "no cut-off chosen (order only)"
        else:
            n_pass = sum(bool(r.passes) for r in self.ranking)
            marks = f"{self.ranking.cutoff}: {n_pass} of {len(self.ranking)} kept"
        self.status_text = f"{self._status_prefix} · {marks}"
        self.status.value = status_html(self.status_text)

    def calibrate(self) -> CalibratedThreshold | None:
        """Fit the threshold that reaches the precision target on labelled pairs and use it in place of the preset.

        Returns the fit (also in :attr:`calibration`), or ``None`` after showing an error inside the widget.
        """
        from rerankkit.evaluation.calibration import precision_target_threshold

        self._clear_error()
        with busy([self.calibrate_button, self.button], self.progress):
            try:
                fit = precision_target_threshold(self._ensure_reranker(), self._calibration_pairs,
                                                 target=self._precision_target)
            except Exception as exc:  # every failure becomes a readable message in the widget
                self._show_error(exc)
                return None
        self.calibration = fit
        if fit.value is not None:
            self._threshold_source = f"calibrated on {fit.data}"
            self._syncing_threshold(fit.value)
            self._say("", "preset")
            self.cutoff.value = "threshold"
        words = html.escape(fit.source)
        if fit.random_weights:
            words += " · random weights: this shows the mechanics only; the threshold means nothing"
        self.calibration_note.value = status_html(fit.source) if fit.value is None else styled(
            f"<div class='rk-status'><b>Calibrated threshold {fit.value:.2f}</b>: {words}. It holds for data like "
            "these pairs; fit it on labelled pairs from your own domain (calibration_pairs=...).</div>")
        self._render()
        return fit

    def _syncing_threshold(self, value: float) -> None:
        """Move the slider to a calibrated value without the slider's observer calling it uncalibrated."""
        source = self._threshold_source
        self._syncing = True
        try:
            self.threshold.value = value
            self.preset.value = self._preset_for(value)
        finally:
            self._syncing = False
        self._threshold_source = source
        self._set_quietly(self.threshold_box, f"{value:.2f}")

    def _show_cutoff_controls(self) -> None:
        mode = self.cutoff.value
        self.top_k.layout.display = None if mode == "top_k" else "none"
        self.gap.layout.display = None if mode == "gap" else "none"
        for row in (self.threshold_row, self.preset_row):
            row.layout.display = None if mode == "threshold" else "none"
        if mode != "threshold":
            self.calibration_note.value = ""

    def _on_cutoff(self, _change: dict) -> None:
        self._show_cutoff_controls()
        self._say("", "threshold")  # a note about the threshold box is moot once another cut-off is chosen
        if self.cutoff.value == "threshold" and self.preset.value is not None and self._threshold_source is None:
            self._say(f"preset {self.preset.value}: {UNCALIBRATED_NOTE}.", "preset")
        elif self.cutoff.value != "threshold":
            self._say("", "preset")
        self._render()

    def _on_cut_box(self, _change: dict) -> None:
        if not self._syncing:
            self._render()

    def _on_threshold_box(self, change: dict) -> None:
        if self._syncing:
            return
        text = change["new"].strip()
        current = self.threshold.value
        try:
            value = resolve_threshold(text) if text in THRESHOLD_PRESETS else float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):  # "nan" and "inf" parse as floats but are not numbers in [0, 1]
            self._say(f"threshold {text!r} is not a number in [0, 1] or a preset ({', '.join(THRESHOLD_PRESETS)}): "
                      f"kept {current:.2f}.")
            self._set_quietly(self.threshold_box, f"{current:.2f}")
            return
        if not 0.0 <= value <= 1.0:
            clipped = 0.0 if value < 0 else 1.0
            note = f"threshold {text} is outside [0, 1] (a sigmoid score): using {clipped:.2f}."
            value = clipped
        else:
            note = ""
        self.threshold.value = value
        self._say(note)  # after the slider moved: its observer clears the note of an earlier value
        self._set_quietly(self.threshold_box, f"{value:.2f}")

    def _on_threshold(self, change: dict) -> None:
        if self._syncing:
            return
        self._threshold_source = None  # a moved threshold is no longer the calibrated one
        self._say("")
        self._set_quietly(self.threshold_box, f"{change['new']:.2f}")
        self.preset.value = self._preset_for(change["new"])
        if self.preset.value is None:
            self._say("", "preset")
            if self.calibration is not None:
                self.calibration_note.value = ""
        self._render()

    def _on_preset(self, change: dict) -> None:
        if change["new"] is not None and not self._syncing:
            self.threshold.value = THRESHOLD_PRESETS[change["new"]].value
            self._threshold_source = None
            self.calibration_note.value = ""
            self._say(f"preset {change['new']}: {UNCALIBRATED_NOTE}.", "preset")
            self._render()

    def _on_table_toggle(self, change: dict) -> None:
        self.table.layout.display = None if change["new"] else "none"

    def __repr__(self) -> str:
        return f"ScoringPlayground(model={self._spec!r}, model_calls={self.model_calls}, cache_hits={self.cache_hits})"
