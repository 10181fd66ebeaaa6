"""The fine-tuning monitor: Train (or Resume), Stop, a live loss curve and a progress bar.

Training runs :func:`rerankkit.training.train_reranker` in a background thread; Stop ends it after the
current step with a checkpoint, and Train continues from that checkpoint to the same final model an
uninterrupted run reaches (same seed, same batches). Results live in observable state (``losses``,
``result``, ``curve.value``, ``status.value``, ``last_error``); :meth:`wait` joins the run, so tests click.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import ipywidgets as widgets

from rerankkit.display.loss_curve import loss_curve_svg
from rerankkit.training.data import TrainExample
from rerankkit.training.trainer import FinetuneResult, Recipe, train_reranker
from rerankkit.widgets._common import error_html, friendly_message, status_html

__all__ = ["FinetuneMonitor"]


class FinetuneMonitor(widgets.VBox):
    """Train a reranker with a live loss curve, Stop and resume.

    Args:
        train: Training examples, or a JSONL file of them.
        model: The model to start from (``tiny-random``, ``multilingual-e5-small-q4``, a folder...).
        output: The output folder (checkpoints go in ``output/checkpoints``).
        recipe: How to train.
        stop_at: Stop by itself once this step is logged, as if Stop were pressed then (for demonstrations).

    Attributes:
        losses: ``(step, loss)`` of every step seen, across stops and resumes.
        result: The last :class:`~rerankkit.training.FinetuneResult`, or ``None``.
        last_error: The message shown in the error box, or ``None``.

    Example:
        >>> from rerankkit.training import TrainExample, Recipe
        >>> import tempfile
        >>> monitor = FinetuneMonitor([TrainExample("q", ("p",), ("n",))], "tiny-random", tempfile.mkdtemp(),
        ...                           recipe=Recipe(group_size=2, batch_size=1, max_steps=1, max_length=32))
        >>> monitor.train_button.description
        'Train'
    """

    def __init__(self, train: Sequence[TrainExample] | str | os.PathLike, model: str | os.PathLike,
                 output: str | os.PathLike, *, recipe: Recipe | None = None, stop_at: int | None = None) -> None:
        self.train = train
        self.model = model
        self.output = Path(output)
        self.recipe = recipe or Recipe()
        self.stop_at = stop_at
        self.losses: list[tuple[int, float]] = []
        self.result: FinetuneResult | None = None
        self.last_error: str | None = None
        self._total = self.recipe.max_steps or 1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.train_button = widgets.Button(description="Train", button_style="primary", icon="play",
                                           tooltip="Train; after Stop, resume from the last checkpoint")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True,
                                          tooltip="Stop after this step, with a checkpoint to resume from")
        self.progress = widgets.IntProgress(value=0, min=0, max=self._total, description="Steps")
        self.curve = widgets.HTML(loss_curve_svg([], total=self._total))
        self.status = widgets.HTML()
        self.error = widgets.HTML()
        self.train_button.on_click(self._on_train)
        self.stop_button.on_click(self._on_stop)
        super().__init__([widgets.HBox([self.train_button, self.stop_button, self.progress]), self.curve,
                          self.status, self.error])

    def _on_train(self, _=None) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self.error.value, self.last_error = "", None
        self._stop.clear()
        self.train_button.disabled, self.stop_button.disabled = True, False
        self.status.value = status_html("Loading the model and preparing the groups...")
        self._thread = threading.Thread(target=self._work, daemon=True, name="rerankkit-finetune-monitor")
        self._thread.start()

    def _on_stop(self, _=None) -> None:
        self._stop.set()
        self.status.value = status_html("Stopping after this step; a checkpoint is written to resume from.")

    def _on_log(self, row: dict) -> None:
        self._total = int(row["total"])
        self.losses = [p for p in self.losses if p[0] < row["step"]] + [(int(row["step"]), float(row["loss"]))]
        self.progress.max, self.progress.value = self._total, int(row["step"])
        self.curve.value = loss_curve_svg(self.losses, total=self._total)
        self.status.value = status_html(f"Step {row['step']} of {self._total}: loss {row['loss']:.4f}")
        if self.stop_at is not None and row["step"] >= self.stop_at:
            self.stop_at = None  # once: pressing Train resumes to the end
            self._stop.set()

    def _work(self) -> None:
        try:
            result = train_reranker(self.train, self.model, self.output, recipe=self.recipe, resume=True,
                                    stop=self._stop, on_log=self._on_log, show_progress=False)
            self.result = result
            if result.complete:
                self.status.value = status_html(f"Done: {result.step} steps; the model is in {result.output}.")
                self.train_button.description = "Train"
            else:
                self.status.value = status_html(f"Stopped at step {result.step} of {result.total_steps}; press "
                                                "Resume to continue from the checkpoint.")
                self.train_button.description = "Resume"
        except Exception as exc:  # noqa: BLE001 - shown in the widget, never a traceback
            self.last_error = friendly_message(exc)
            self.error.value = error_html(exc)
            self.status.value = ""
        finally:
            self.train_button.disabled, self.stop_button.disabled = False, True

    def wait(self, timeout: float | None = None) -> None:
        """Block until the current run ends (for scripts and tests)."""
        if self._thread is not None:
            self._thread.join(timeout)
