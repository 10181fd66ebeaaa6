"""Timing dashboard: choose devices, dtypes, batch sizes and lengths, run the benchmark, see table and plots.

All the work is :func:`rerankkit.measure.timing.benchmark` and the figures of :mod:`rerankkit.display.plots`;
this module only wires controls to them. After a run, ``.table`` holds the DataFrame,
``.figures`` the matplotlib figures, ``.error`` the last error (or None).

Example:
    >>> from rerankkit.widgets import TimingDashboard
    >>> dash = TimingDashboard("tiny-random", batch_sizes=(2,), lengths=(16,), repeats=1, n_batches=1)
    >>> dash.devices.value, dash.dtypes.value = ("cpu",), ("fp32",)
    >>> dash.run_button.click()
    >>> dash.error is None, list(dash.table["status"]), sorted(dash.figures)
    (True, ['ok'], ['cold start', 'latency', 'throughput'])
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets

from rerankkit.display.style import styled, timing_banner, timing_note
from rerankkit.models.devices import DEVICES, DTYPES
from rerankkit.widgets._common import FULL_WIDTH, busy, error_html, notice_html, page_banner, read_int, status_html

__all__ = ["TimingDashboard"]

MAX_REPEATS = 50


def _int_list(text: str, name: str) -> list[int | str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise ValueError(f"{name} is empty: type comma-separated values such as 8, 32")
    out: list[int | str] = []
    for item in items:
        if name == "lengths" and item == "mixed":
            out.append(item)
            continue
        try:
            out.append(int(item))
        except ValueError:
            raise ValueError(f"{name}: {item!r} is not a whole number" +
                             (" (or 'mixed')" if name == "lengths" else "")) from None
    return out


class TimingDashboard(widgets.VBox):
    """Benchmark controls, a progress bar, the result table and the timing plots.

    Args:
        model: Model spec passed to :func:`rerankkit.measure.timing.benchmark` (default ``$RERANKKIT_MODEL``).
        batch_sizes: Initial batch sizes.
        lengths: Initial tokens per pair (ints or ``"mixed"``).
        repeats: Timed repeats per cell.
        n_batches: Batches per timed pass.
    """

    def __init__(self, model: str | None = None, *, batch_sizes: Sequence[int] = (4, 16),
                 lengths: Sequence[int | str] = (64, 256), repeats: int = 3, n_batches: int = 2) -> None:
        from rerankkit.models.hub import resolve_model_id

        self.model_spec = resolve_model_id(model)
        self.n_batches = n_batches
        self._last_repeats = str(repeats)
        self.table = None
        self.figures: dict = {}
        self.error: BaseException | None = None
        self.devices = widgets.SelectMultiple(options=list(DEVICES), value=("cpu",), description="devices", rows=2)
        self.dtypes = widgets.SelectMultiple(options=list(DTYPES), value=("fp32", "int8"), description="dtypes", rows=4)
        self.batch_sizes = widgets.Text(value=", ".join(map(str, batch_sizes)), description="batch sizes")
        self.lengths = widgets.Text(value=", ".join(map(str, lengths)), description="lengths",
                                    placeholder="tokens per pair, or mixed")
        # A text box: a typed value that is refused or changed is said in the widget, not clamped silently.
        self.repeats = widgets.Text(value=str(repeats), description="repeats", continuous_update=False,
                                    tooltip=f"Timed repeats per cell, 1 to {MAX_REPEATS}")
        self.notice = widgets.HTML()
        self.notice_text = ""
        self.run_button = widgets.Button(description="Run benchmark", button_style="primary", icon="play")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="cells")
        self.progress.layout.visibility = "hidden"
        self.status = widgets.HTML(status_html(f"model: {self.model_spec}; lengths are counted in tokens"))
        self.output = widgets.HTML()
        self.plots = widgets.Output()
        self.run_button.on_click(lambda _: self.run())
        self.repeats.observe(self._on_repeats, names="value")
        controls = widgets.HBox([widgets.VBox([self.devices, self.dtypes]),
                                 widgets.VBox([self.batch_sizes, self.lengths, self.repeats, self.run_button])],
                                layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([controls, self.notice, self.progress, self.status, self.output, self.plots],
                         layout=widgets.Layout(**FULL_WIDTH))

    def _read_repeats(self) -> int:
        try:
            value, note = read_int(self.repeats.value, "repeats", 1, MAX_REPEATS)
        except ValueError as exc:
            self.notice_text = f"{exc}; the benchmark does not run until it is fixed."
            self.notice.value = notice_html(self.notice_text)
            raise
        if self.repeats.value != str(value):
            self.repeats.value = str(value)  # the observer runs again on a valid value
        self.notice_text = note
        self.notice.value = notice_html(note) if note else ""
        return value

    def _on_repeats(self, _change) -> None:
        if self.repeats.value.strip() == self._last_repeats:
            return
        try:
            self._last_repeats = str(self._read_repeats())
        except ValueError:
            pass  # the notice says what is wrong

    def _tick(self, done: int, total: int, label: str) -> None:
        self.progress.max = total
        self.progress.value = done
        self.status.value = status_html(f"{done}/{total}: {label}")

    def run(self) -> None:
        """Run the benchmark with the current controls and render the results (errors shown in the widget)."""
        from rerankkit.display import plots
        from rerankkit.measure.timing import benchmark, summary

        self.error = None
        controls = [self.devices, self.dtypes, self.batch_sizes, self.lengths, self.repeats, self.run_button]
        with busy(controls, self.progress):
            try:
                if not self.devices.value:
                    raise ValueError("choose at least one device")
                if not self.dtypes.value:
                    raise ValueError("choose at least one dtype")
                repeats = self._read_repeats()
                table = benchmark(
                    self.model_spec, devices=list(self.devices.value), dtypes=list(self.dtypes.value),
                    batch_sizes=[int(b) for b in _int_list(self.batch_sizes.value, "batch sizes")],
                    lengths=_int_list(self.lengths.value, "lengths"),
                    repeats=repeats, n_batches=self.n_batches, progress=self._tick,
                )
            except Exception as exc:  # shown to the reader as a message, never a traceback
                self.error = exc
                self.output.value = error_html(exc)
                self.status.value = status_html("benchmark did not run")
                self.table, self.figures = None, {}
                self.plots.outputs = ()
                return
        self.table = table
        notes = set(table["note"].fillna(""))
        banner = ""  # the widget's one notice: what these times are worth
        if timing_note(random_weights=True, timing_only=True) in notes:
            banner = timing_banner(str(self.model_spec), same_shape=True)
        elif timing_note(random_weights=True, timing_only=False) in notes:
            banner = timing_banner(str(self.model_spec), same_shape=False)
        if banner:
            banner = page_banner([str(self.model_spec)], banner)
        short = summary(table)
        short["note"] = short["note"].where(short["status"] != "ok", "")  # the banner says it once
        shown = short.round(2).astype(object).where(short.notna(), "-")
        self.output.value = banner + styled(shown.to_html(index=False, classes="rk-table rk-timing", escape=True))
        ok = table[table["status"] == "ok"]
        self.figures = {}
        if not ok.empty:
            self.figures = {"throughput": plots.plot_throughput(table), "latency": plots.plot_latency(table),
                            "cold start": plots.plot_cold_start(table)}
        self.plots.outputs = ()  # clear_output() would print a terminal escape outside a kernel
        for fig in self.figures.values():
            self.plots.append_display_data(fig)
        n_ok = len(ok)
        self.status.value = status_html(
            f"{n_ok} of {len(table)} cells ran; pairs/s is the median of {repeats} timed repeats "
            "after a warm-up pass; unavailable rows say why next to their status; .table has every column")
