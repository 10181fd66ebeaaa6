"""The evaluation explorer: your files (or the shipped fixture, or a benchmark) -> retrieve, rerank, compare.

Upload queries, corpus, qrels and optionally a run (``FileUpload``), or pick a data set; press Run.
Scoring runs in a background thread (:func:`rerankkit.evaluation.evaluate`) with a progress bar; Stop
ends it after the current batch and keeps every scored pair in a score file, so Run continues where it
stopped. Results live in observable state (``report``, ``data``, ``table.value``, ``worse.value``,
``status.value``, ``last_error``); :meth:`wait` joins the run, so tests click the buttons.
"""

from __future__ import annotations

import html
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets as widgets

from rerankkit.evaluation.datasets import benchmark_names
from rerankkit.evaluation.explore import data_from_uploads, side_by_side
from rerankkit.evaluation.runner import evaluate, resolve_data
from rerankkit.widgets._common import error_html, friendly_message, model_badge, notice_html, read_int, status_html

if TYPE_CHECKING:
    from rerankkit.evaluation.datasets import EvalData
    from rerankkit.evaluation.report import EvaluationReport
    from rerankkit.scoring.reranker import Reranker

__all__ = ["UPLOADED", "EvaluationExplorer"]

UPLOADED = "uploaded files"


def _uploads(value) -> dict[str, bytes]:
    # ipywidgets 8: a tuple of dicts with name and content (a memoryview).
    return {item["name"]: bytes(item["content"]) for item in value}


def _clip(text: str, limit: int = 160) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when it was cut.

    Example:
        >>> _clip("abcdef", 4), _clip("abc", 4)
        ('abc…', 'abc')
    """
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class EvaluationExplorer(widgets.VBox):
    """Pick or upload data, rerank the top N of its run, and read Base -> Reranked with the queries that got worse.

    Args:
        reranker: A loaded :class:`~rerankkit.reranker.Reranker`.
        source: The data first selected: ``fixture``, ``cases:<set>``, a benchmark name, or ``uploaded files``.
        top_n: Documents per query to rerank.
        scores_dir: Where score files are kept (default: a temporary folder for this explorer).

    Attributes:
        report: The last :class:`~rerankkit.evaluation.EvaluationReport`, or ``None``.
        data: The data it came from.
        last_error: The message shown in the error box, or ``None``.

    Example:
        >>> import rerankkit
        >>> app = EvaluationExplorer(rerankkit.load("tiny-random"), top_n=3)
        >>> app.run_button.click(); app.wait()
        >>> app.report.complete, "Reranked" in app.table.value
        (True, True)
    """

    def __init__(self, reranker: Reranker, *, source: str = "fixture", top_n: int = 20,
                 scores_dir: str | Path | None = None) -> None:
        self.reranker = reranker
        self.report: EvaluationReport | None = None
        self.data: EvalData | None = None
        self.last_error: str | None = None
        self.state = "idle"  # idle, running, done, stopped (by the reader: neutral, not an error) or error
        self._thread: threading.Thread | None = None
        self._top_n = top_n
        self._stop = threading.Event()
        self._scores_dir = Path(scores_dir or tempfile.mkdtemp(prefix="rerankkit-scores-"))

        options = ["fixture", "cases:keyword_traps", "cases:workplace_qa", "cases:product_search", UPLOADED,
                   *benchmark_names()]
        self.badge = widgets.HTML(model_badge(reranker.info))
        self.source = widgets.Dropdown(options=options, value=source, description="Data")
        self.upload = widgets.FileUpload(accept=".tsv,.jsonl,.json,.parquet,.trec,.txt,.qrels,.run", multiple=True,
                                         description="Upload files")
        # A text box, so that a refused or changed value can be said rather than clamped silently.
        self.top_n = widgets.Text(value=str(top_n), description="Top N", layout=widgets.Layout(width="160px"))
        self.notice = widgets.HTML()
        self.notice_text = ""
        self.run_button = widgets.Button(description="Run", button_style="primary", icon="play",
                                         tooltip="Retrieve (when there is no run), then rerank the top N")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True,
                                          tooltip="Stop after this batch; what was scored is kept")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="Pairs")
        self.status = widgets.HTML()
        self.error = widgets.HTML()
        self.table = widgets.HTML()
        self.worse = widgets.HTML()
        self.run_button.on_click(self._on_run)
        self.stop_button.on_click(self._on_stop)
        super().__init__([self.badge, widgets.HBox([self.source, self.upload, self.top_n]),
                          widgets.HBox([self.run_button, self.stop_button, self.progress]), self.notice, self.status,
                          self.error, self.table, self.worse])

    # -- actions ---------------------------------------------------------------------------
    def _read_top_n(self) -> int:
        """The Top N box as a number in [1, 1000]; a change is said in the widget."""
        value, note = read_int(self.top_n.value, "Top N", 1, 1000)
        self.notice_text = note
        self.notice.value = notice_html(note) if note else ""
        if note:
            self.top_n.value = str(value)
        return value

    def _resolve(self) -> EvalData:
        if self.source.value == UPLOADED:
            if not self.upload.value:
                raise ValueError("no files uploaded: choose queries, corpus and qrels (and a run) with Upload files")
            return resolve_data(data_from_uploads(_uploads(self.upload.value)), k=self._top_n)
        return resolve_data(self.source.value, k=self._top_n, download=True)

    def _scores_path(self, data: EvalData) -> Path:
        safe = "".join(c if c.isalnum() else "_" for c in f"{data.name}-{data.run_name}-{self._top_n}")
        return self._scores_dir / f"{safe}.scores.jsonl"

    def _on_run(self, _=None) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self.error.value, self.last_error = "", None
        try:
            self._top_n = self._read_top_n()
        except ValueError as exc:
            self.last_error = friendly_message(exc)
            self.error.value = error_html(exc)
            self.table.value = self.worse.value = ""  # no table of an earlier run under an error
            self.state = "error"
            return
        self._stop.clear()
        self.run_button.disabled, self.stop_button.disabled = True, False
        self.status.value = status_html("Preparing the data (the first stage runs when there is no run)...")
        self._thread = threading.Thread(target=self._work, daemon=True, name="rerankkit-evaluation-explorer")
        self._thread.start()

    def _on_stop(self, _=None) -> None:
        self._stop.set()
        self.status.value = status_html("Stopping after this batch; scored pairs are kept.")

    def _progress(self, done: int, total: int) -> None:
        self.progress.max = max(total, 1)
        self.progress.value = done

    def _work(self) -> None:
        self.state = "running"
        try:
            data = self._resolve()
            self.data = data
            self.report = evaluate(data, self.reranker, top_n=self._top_n, scores_path=self._scores_path(data),
                                   show_progress=False, stop=self._stop, on_progress=self._progress)
            self.state = "done" if self.report.complete else "stopped"
            self._render()
        except Exception as exc:  # noqa: BLE001 - shown in the app, never a traceback
            # The tables below belong to an earlier run (maybe of another data set): they go.
            self.report = None
            self.table.value = self.worse.value = ""
            if self._stop.is_set():  # the reader pressed Stop before any query finished: not an error
                self.state = "stopped"
                self.status.value = status_html("Stopped before any judged query was fully reranked; the pairs "
                                                "scored are kept in the score file: press Run to continue.")
            else:
                self.state = "error"
                self.last_error = friendly_message(exc)
                self.error.value = error_html(exc)
                self.status.value = ""
        finally:
            self.run_button.disabled, self.stop_button.disabled = False, True

    def wait(self, timeout: float | None = None) -> None:
        """Block until the current run ends (for scripts and tests)."""
        if self._thread is not None:
            self._thread.join(timeout)

    # -- rendering -------------------------------------------------------------------------
    def _render(self) -> None:
        report, data = self.report, self.data
        if report is None or data is None:  # nothing has run yet
            return
        s = report.scoring
        note = "" if report.complete else (" Stopped: the table covers the queries fully reranked; press Run to "
                                           "continue from the score file.")
        self.status.value = status_html(
            f"{s.n_resumed + s.n_scored} of {s.n_pairs} pairs scored ({s.n_resumed} resumed, {s.pairs_per_s:.1f} "
            f"pairs/s). " + " ".join(report.data_stats.lines()) + note)
        self.table.value = report.table.style.format("{:.4f}").to_html()
        parts = [f"<h4>Queries whose nDCG@10 dropped: {len(report.worse)}</h4>"]
        for _, row in report.worse.head(3).iterrows():
            side = side_by_side(report, data, row.qid, k=3)
            cells = "".join(
                f"<tr><td>{r['rank']}</td><td>[{r['base_grade']}] {html.escape(_clip(r['base_text']))}</td>"
                f"<td>[{r['reranked_grade']}] {html.escape(_clip(r['reranked_text']))}</td></tr>"
                for _, r in side.iterrows())
            parts.append(f"<p><b>{html.escape(row.qid)}</b>: {html.escape(row.query)} (nDCG@10 {row.base:.3f} → "
                         f"{row.reranked:.3f})</p><table class='rk-worse'><tr><th>#</th><th>Base [grade]</th>"
                         f"<th>Reranked [grade]</th></tr>{cells}</table>")
        self.worse.value = "".join(parts)
