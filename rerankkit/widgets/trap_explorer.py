"""The trap explorer: one keyword-trap case ranked by BM25, a dense bi-encoder and the reranker, side by side.

Choose a case; edit any passage (a distractor, say) and press Re-score to see how each stage
reacts. Ranking is :func:`rerankkit.evaluation.pipeline.compare_stages`; editing is
:func:`rerankkit.evaluation.pipeline.edit_passage`. Results live in observable state (``comparison``,
``passages``, ``table.value``, ``error.value``, ``last_error``), so tests drive it with ``button.click()``.
"""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING

import ipywidgets as widgets

from rerankkit.cases import CaseSet
from rerankkit.cases import load as load_cases
from rerankkit.display.style import ROLE_BACKGROUNDS, ROLE_COLOURS, random_weights_banner
from rerankkit.evaluation.pipeline import compare_stages, edit_passage
from rerankkit.widgets._common import busy, error_html, friendly_message, model_badge, status_html

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.retrieval import DenseEncoder
    from rerankkit.scoring.reranker import Reranker

__all__ = ["TrapExplorer", "stages_html"]

_ROLE_STYLE = {role: (ROLE_BACKGROUNDS[role], ROLE_COLOURS[role]) for role in ROLE_COLOURS}
_STAGES = (("bm25", "BM25 (words)", "bm25_score", "{:.2f}"), ("dense", "Dense bi-encoder", "dense_score", "{:.3f}"),
           ("rerank", "Reranker (raw logit)", "rerank_logit", "{:+.2f}"))


def stages_html(frame: pd.DataFrame, *, max_chars: int = 110) -> str:
    """Three ranked columns (BM25, dense, reranker), each passage coloured by its label.

    Example:
        >>> import pandas as pd
        >>> f = pd.DataFrame({"passage_id": ["p1", "p2"], "text": ["a", "b"], "relevance": [2, 0],
        ...     "role": ["relevant", "distractor"], "trap": [None, "negation"], "bm25_rank": [2, 1],
        ...     "bm25_score": [0.1, 1.0], "dense_rank": [1, 2], "dense_score": [0.9, 0.2],
        ...     "rerank_rank": [1, 2], "rerank_logit": [3.0, -2.0], "rerank_score": [0.95, 0.12]})
        >>> html = stages_html(f)
        >>> html.count("data-role="), html.index('data-pid="p2"') < html.index('data-pid="p1"')
        (6, True)
    """
    columns = []
    for stage, title, score_col, fmt in _STAGES:
        cells = []
        for _, r in frame.sort_values(f"{stage}_rank").iterrows():
            bg, fg = _ROLE_STYLE.get(r["role"], ("#fff", "#333"))
            text = r["text"] if len(r["text"]) <= max_chars else r["text"][: max_chars - 1] + "…"
            label = r["role"] + (f" · {r['trap']}" if isinstance(r["trap"], str) else "")
            cells.append(
                f"<div data-role='{r['role']}' data-pid=\"{html.escape(r['passage_id'])}\" style='background:{bg};"
                f"border-left:5px solid {fg};padding:4px 6px;margin:3px 0;border-radius:4px'>"
                f"<b>#{int(r[f'{stage}_rank'])}</b> <span style='color:{fg}'>{html.escape(label)}</span> "
                f"<span style='color:#666'>({html.escape(r['passage_id'])}, {fmt.format(r[score_col])})</span><br>"
                f"<span style='font-size:.92em'>{html.escape(text)}</span></div>"
            )
        columns.append(f"<div style='flex:1;min-width:0'><h4 style='margin:2px 0'>{title}</h4>{''.join(cells)}</div>")
    return f"<div class='rk-stages' style='display:flex;gap:10px'>{''.join(columns)}</div>"


class TrapExplorer(widgets.VBox):
    """Choose a case, compare BM25, dense and reranker rankings; edit a passage and re-score live.

    Args:
        reranker: A loaded :class:`~rerankkit.scoring.reranker.Reranker`.
        encoder: A loaded dense encoder, or a spec for :func:`rerankkit.retrieval.load_encoder`
            (loaded once, here).
        case_set: A :class:`~rerankkit.cases.CaseSet` or the name of one (default ``keyword_traps``).
        case_id: The case shown first (default: the first).

    Attributes:
        comparison: The frame of :func:`~rerankkit.evaluation.pipeline.compare_stages` shown, or ``None``.
        passages: The case's passages as scored (with any edit applied).
        last_error: The message shown in the error box, or ``None``.

    Example:
        >>> import rerankkit
        >>> app = TrapExplorer(rerankkit.load("tiny-random"), encoder="tiny-random-encoder")
        >>> app.passage.value                      # distractors come first in the edit list
        'p3'
        >>> app.editor.value = "Dropout and data augmentation help deep learning models generalize."
        >>> app.button.click()
        >>> app.case_set[app.case.value].passage("p3").text == app.passages[2].text, len(app.comparison)
        (False, 5)
    """

    def __init__(self, reranker: Reranker, *, encoder: DenseEncoder | str | None = None,
                 case_set: CaseSet | str = "keyword_traps", case_id: str | None = None) -> None:
        from rerankkit.retrieval import DenseEncoder, load_encoder

        self.reranker = reranker
        self.encoder = encoder if isinstance(encoder, DenseEncoder) else load_encoder(encoder)
        self.case_set = case_set if isinstance(case_set, CaseSet) else load_cases(case_set)
        self.comparison: pd.DataFrame | None = None
        self.passages: list = []
        self.last_error: str | None = None

        self.badge = widgets.HTML(model_badge(reranker.info) + self._encoder_line())
        self.case = widgets.Dropdown(
            options=[(f"{c.id} · {c.query[:70]}", c.id) for c in self.case_set],
            value=case_id or self.case_set[0].id, description="Case", layout=widgets.Layout(width="100%"),
        )
        self.note = widgets.HTML()
        self.passage = widgets.Dropdown(description="Edit", layout=widgets.Layout(width="380px"))
        self.editor = widgets.Textarea(layout=widgets.Layout(width="100%", height="80px"))
        self.button = widgets.Button(description="Re-score", button_style="primary", icon="refresh",
                                     tooltip="Score the case again with the edited passage")
        self.reset = widgets.Button(description="Reset case", icon="undo", tooltip="Undo every edit")
        self.status = widgets.HTML()
        self.error = widgets.HTML()
        self.table = widgets.HTML()

        self.case.observe(lambda _: self._load_case(), names="value")
        self.passage.observe(lambda _: self._fill_editor(), names="value")
        self.button.on_click(lambda _: self.rescore())
        self.reset.on_click(lambda _: self._load_case())
        super().__init__([self.badge, self.case, self.note, widgets.HBox([self.passage, self.button, self.reset]),
                          self.editor, self.status, self.error, self.table], layout=widgets.Layout(max_width="1100px"))
        self._load_case()

    def _encoder_line(self) -> str:
        info = self.encoder.info
        warn = random_weights_banner(info.model_id) if info.random_weights else ""
        name = info.model_id if info.random_weights else info.label  # the label says what a real encoder is
        return f"<div class='rk-badge'><b>Dense encoder</b> {html.escape(name)}{warn}</div>"

    def _load_case(self) -> None:
        case = self.case_set[self.case.value]
        self.passages = list(case.passages)
        self.note.value = (f"<div><b>Query:</b> {html.escape(case.query)}<br><small>{html.escape(case.note)}</small>"
                           "</div>")
        # Distractors first: they are what a reader wants to edit.
        order = sorted(self.passages, key=lambda p: (p.role != "distractor", p.id))
        self.passage.options = [(f"{p.id} · {p.role}" + (f" ({p.trap})" if p.trap else ""), p.id) for p in order]
        self.passage.value = order[0].id
        self._fill_editor()
        self._score()

    def _fill_editor(self) -> None:
        if self.passage.value is not None:
            self.editor.value = next(p.text for p in self.passages if p.id == self.passage.value)

    def rescore(self) -> None:
        """Apply the editor's text to the chosen passage and rank again."""
        try:
            self.passages = edit_passage(self.passages, self.passage.value, self.editor.value)
        except (ValueError, KeyError) as exc:
            self._show_error(exc)
            return
        self._score()

    def _score(self) -> None:
        with busy([self.button, self.reset, self.case, self.passage]):
            started = time.perf_counter()
            try:
                self.comparison = compare_stages(self.case_set[self.case.value].query, self.passages, self.reranker,
                                                 encoder=self.encoder)
            except Exception as exc:  # shown in the widget, not as a traceback
                self._show_error(exc)
                return
            self.last_error = None
            self.error.value = ""
            self.table.value = stages_html(self.comparison)
            top = self.comparison.loc[self.comparison["rerank_rank"] == 1, "role"].iloc[0]
            self.status.value = status_html(
                f"Scored {len(self.passages)} passages with three stages in {time.perf_counter() - started:.2f} s; "
                f"the reranker's top passage is {top}."
            )

    def _show_error(self, exc: BaseException) -> None:
        self.last_error = friendly_message(exc)
        self.error.value = error_html(exc)
