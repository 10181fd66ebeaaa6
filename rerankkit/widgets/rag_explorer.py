"""The RAG budget explorer: K, N, budget and first stage as controls; the context the LLM would read,
coloured by answer-bearing chunks; the measured figures of that setting.

All logic lives in :mod:`rerankkit.rag` (:meth:`RagPipeline.context`, :func:`~rerankkit.rag.explore.context_html`,
:func:`~rerankkit.rag.explore.setting_figures`); the widget wires the controls to them and renders into
observable state (``context``, ``context_view.value``, ``figures.value``, ``last_error``), so pytest clicks it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from rerankkit.rag.evaluate import BUDGETS, DEPTHS
from rerankkit.rag.explore import context_html, setting_figures
from rerankkit.rag.pipeline import STAGES
from rerankkit.widgets._common import FULL_WIDTH, error_html, friendly_message, model_badge, status_html

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.rag.context import Context
    from rerankkit.rag.corpus import RagQuestion
    from rerankkit.rag.pipeline import RagPipeline

__all__ = ["RagExplorer"]


class RagExplorer(widgets.VBox):
    """Pick a question and a setting; see what the LLM would read, with and without the reranker.

    Args:
        pipeline: A :class:`~rerankkit.rag.pipeline.RagPipeline` with a reranker.
        questions: Questions with known answer documents.
        sweep: :func:`rerankkit.rag.evaluate.sweep`'s frame, for the figures of the current setting (optional).
        latency: :func:`rerankkit.rag.evaluate.rerank_latency`'s frame (optional).
        tokenizer: The token counter of the budget (see :func:`rerankkit.rag.context.token_counter`).

    Attributes:
        context: The last packed :class:`~rerankkit.rag.context.Context`, or None.
        last_error: The message in the error box, or None.
    """

    def __init__(self, pipeline: RagPipeline, questions: Sequence[RagQuestion], *, sweep: pd.DataFrame | None = None,
                 latency: pd.DataFrame | None = None, tokenizer: Any = None) -> None:
        if not questions:
            raise ValueError("questions is empty: pass RagQuestion rows (see rerankkit.rag.corpus)")
        self.pipeline, self.questions, self.sweep, self.latency = pipeline, list(questions), sweep, latency
        self.tokenizer = tokenizer
        self.context: Context | None = None
        self.last_error: str | None = None
        self.question = widgets.Dropdown(options=[(q.text[:80], i) for i, q in enumerate(self.questions)],
                                         description="question", layout=FULL_WIDTH)
        self.stage = widgets.ToggleButtons(options=list(STAGES), value="hybrid", description="first stage")
        self.k = widgets.Dropdown(options=list(DEPTHS), value=20, description="K")
        self.top_n = widgets.Dropdown(options=[("all that fit", 0), ("3", 3), ("5", 5), ("10", 10)], value=0, description="N")
        self.budget = widgets.Dropdown(options=list(BUDGETS), value=1024, description="budget")
        self.rerank = widgets.Checkbox(value=True, description="rerank")
        self.show_button = widgets.Button(description="Show context", button_style="primary")
        self.status = widgets.HTML()
        self.error = widgets.HTML()
        self.figures = widgets.HTML()
        self.context_view = widgets.HTML(layout=FULL_WIDTH)
        self.show_button.on_click(lambda _: self.show())
        badge = model_badge(pipeline.reranker.info) if pipeline.reranker is not None else ""
        super().__init__([widgets.HTML(badge), self.question, self.stage,
                          widgets.HBox([self.k, self.top_n, self.budget, self.rerank, self.show_button]),
                          self.status, self.error, self.figures, self.context_view], layout=FULL_WIDTH)

    def show(self) -> None:
        """Pack the chosen question's context for the current setting and render it with its figures."""
        q = self.questions[self.question.value]
        try:
            self.context = self.pipeline.context(q.text, stage=self.stage.value, k=self.k.value,
                                                 budget=self.budget.value, rerank=self.rerank.value,
                                                 tokenizer=self.tokenizer, top_n=self.top_n.value or None)
        except Exception as exc:  # shown in the widget, never raised into the notebook
            self.last_error = friendly_message(exc)
            self.error.value = error_html(exc)
            return
        self.last_error = None
        self.error.value = ""
        self.context_view.value = context_html(self.context, q.answer_docs)
        self.status.value = status_html(f"{q.id}: answer documents {', '.join(sorted(q.answer_docs))}")
        if self.sweep is not None:
            try:
                table = setting_figures(self.sweep, self.latency, stage=self.stage.value, k=self.k.value,
                                        budget=self.budget.value)
            except ValueError as exc:  # a setting the sweep did not measure: the context is shown, figures not
                self.last_error = friendly_message(exc)
                self.error.value = error_html(exc)
                self.figures.value = ""
                return
            self.figures.value = (f"<div><b>All {int(table.questions.iloc[0])} questions at this setting</b> "
                                  f"(measured by this notebook's sweep)</div>" + table.to_html(index=False,
                                                                                               float_format="%.3f"))
        else:
            self.figures.value = html.escape("(no sweep given: pass sweep= to show the figures of this setting)")
