"""The trap explorer: one keyword-trap case ranked by BM25, a dense bi-encoder and the reranker, side by side.

Choose a case; edit any passage (a distractor, say) and press Re-score to see how each stage
reacts. Ranking is :func:`rerankkit.evaluation.pipeline.compare_stages`; editing is
:func:`rerankkit.evaluation.pipeline.edit_passage`. Results live in observable state (``comparison``,
``passages``, ``table.value``, ``error.value``, ``last_error``), so tests drive it with ``button.click()``.
"""

from __future__ import annotations

import html
import time
import warnings
from typing import TYPE_CHECKING

import ipywidgets as widgets

from rerankkit.cases import CaseSet
from rerankkit.cases import load as load_cases
from rerankkit.display.style import (
    FAIL_COLOUR,
    PASS_COLOUR,
    ROLE_BACKGROUNDS,
    ROLE_COLOURS,
    WARN_COLOUR,
    random_weights_banner,
    styled,
)
from rerankkit.errors import TruncationWarning
from rerankkit.evaluation.pipeline import compare_stages, edit_passage
from rerankkit.widgets._common import (
    FIELD_WIDTH,
    FULL_WIDTH,
    busy,
    error_html,
    friendly_message,
    model_badge,
    notice_html,
    page_banner,
    status_html,
)

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.retrieval import DenseEncoder
    from rerankkit.scoring.reranker import Reranker

__all__ = ["TrapExplorer", "stages_html"]

_ROLE_STYLE = {role: (ROLE_BACKGROUNDS[role], ROLE_COLOURS[role]) for role in ROLE_COLOURS}
_STAGES = (("bm25", "BM25 (words)", "bm25_score", "{:.2f}"), ("dense", "Dense bi-encoder", "dense_score", "{:.3f}"),
           ("rerank", "Reranker (raw logit)", "rerank_logit", "{:+.2f}"))


def _shift(before: int | None, after: int) -> str:
    """An arrow saying how a passage moved since the last scoring (up is better)."""
    if before is None or before == after:
        return ""
    up = after < before
    return (f" <span class='rk-shift' style='color:{PASS_COLOUR if up else FAIL_COLOUR};font-weight:600'>"
            f"{'▲' if up else '▼'}{abs(before - after)} (was #{before})</span>")


def stages_html(frame: pd.DataFrame, *, previous: pd.DataFrame | None = None, edited: set[str] | frozenset = frozenset(),
                max_chars: int = 110) -> str:
    """Three ranked columns (BM25, dense, reranker), each passage coloured by its label.

    ``previous`` (the frame before an edit) adds rank-shift arrows; passages in ``edited`` are marked; a passage
    that max_length cut (``rerank_cut`` > 0) says so. Long passages fold after ``max_chars`` characters.

    Example:
        >>> import pandas as pd
        >>> f = pd.DataFrame({"passage_id": ["p1", "p2"], "text": ["a", "b"], "relevance": [2, 0],
        ...     "role": ["relevant", "distractor"], "trap": [None, "negation"], "bm25_rank": [2, 1],
        ...     "bm25_score": [0.1, 1.0], "dense_rank": [1, 2], "dense_score": [0.9, 0.2],
        ...     "rerank_rank": [1, 2], "rerank_logit": [3.0, -2.0], "rerank_score": [0.95, 0.12]})
        >>> html = stages_html(f)
        >>> html.count("data-role="), html.index('data-pid="p2"') < html.index('data-pid="p1"')
        (6, True)
        >>> "▲1 (was #2)" in stages_html(f, previous=f.assign(rerank_rank=[2, 1]))
        True
    """
    before = {} if previous is None else {
        (stage, pid): int(rank) for stage, *_ in _STAGES
        for pid, rank in zip(previous["passage_id"], previous[f"{stage}_rank"])
    }
    columns = []
    for stage, title, score_col, fmt in _STAGES:
        cells = []
        for _, r in frame.sort_values(f"{stage}_rank").iterrows():
            bg, fg = _ROLE_STYLE.get(r["role"], ("#fff", "#333"))
            pid = r["passage_id"]
            text = html.escape(r["text"])
            if len(r["text"]) > max_chars:
                text = (f"<details class='rk-fold'><summary style='color:#222'>{html.escape(r['text'][:max_chars])}…"
                        f"</summary>{text}</details>")
            label = r["role"] + (f" · {r['trap']}" if isinstance(r["trap"], str) else "")
            marks = " <b style='color:#1565c0'>edited</b>" if pid in edited else ""
            cut = int(r.get("rerank_cut", 0) or 0)
            if stage == "rerank" and cut:
                marks += f" <span style='color:{WARN_COLOUR}'>· {cut} tokens cut by max_length</span>"
            rank = int(r[f"{stage}_rank"])
            cells.append(
                f"<div data-role='{r['role']}' data-pid=\"{html.escape(pid)}\" style='background:{bg};"
                f"border-left:5px solid {fg};padding:4px 6px;margin:3px 0;border-radius:4px;overflow-wrap:anywhere'>"
                f"<b>#{rank}</b>{_shift(before.get((stage, pid)), rank)} <span style='color:{fg}'>"
                f"{html.escape(label)}</span> <span style='color:#666'>({html.escape(pid)}, "
                f"{fmt.format(r[score_col])})</span>{marks}<br><span style='font-size:.92em'>{text}</span></div>"
            )
        columns.append(f"<div style='flex:1 1 220px;min-width:0'><h4 style='margin:2px 0'>{title}</h4>"
                       f"{''.join(cells)}</div>")
    return styled(f"<div class='rk-stages' style='display:flex;flex-wrap:wrap;gap:10px'>{''.join(columns)}</div>")


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
        self.previous: pd.DataFrame | None = None
        self.passages: list = []
        self.edited: set[str] = set()
        self.last_error: str | None = None
        self.notice_text = ""

        self.badge = widgets.HTML(model_badge(reranker.info) + self._encoder_line())
        self.case = widgets.Dropdown(
            options=[(f"{c.id} · {c.query[:70]}", c.id) for c in self.case_set],
            value=case_id or self.case_set[0].id, description="Case", layout=widgets.Layout(width=FIELD_WIDTH),
        )
        self.note = widgets.HTML()
        self.passage = widgets.Dropdown(description="Edit", layout=widgets.Layout(width="auto", max_width="100%"))
        self.editor = widgets.Textarea(layout=widgets.Layout(width="100%", height="80px"))
        self.button = widgets.Button(description="Re-score", button_style="primary", icon="refresh",
                                     tooltip="Score the case again with the edited passage")
        self.reset = widgets.Button(description="Reset case", icon="undo", tooltip="Undo every edit")
        self.status = widgets.HTML()
        self.notice = widgets.HTML()
        self.error = widgets.HTML()
        self.table = widgets.HTML()

        self.case.observe(lambda _: self._load_case(), names="value")
        self.passage.observe(lambda _: self._fill_editor(), names="value")
        self.button.on_click(lambda _: self.rescore())
        self.reset.on_click(lambda _: self._load_case())
        super().__init__([self.badge, self.case, self.note,
                          widgets.HBox([self.passage, self.button, self.reset],
                                       layout=widgets.Layout(flex_flow="row wrap")),
                          self.editor, self.status, self.notice, self.error, self.table],
                         layout=widgets.Layout(**FULL_WIDTH))
        self._load_case()

    def _encoder_line(self) -> str:
        info = self.encoder.info
        name = info.model_id if info.random_weights else info.label  # the label says what a real encoder is
        line = f"<div class='rk-badge'><b>Dense encoder</b> {html.escape(name)}</div>"
        if info.random_weights and not self.reranker.info.random_weights:  # one banner per widget
            line += page_banner([info.model_id], random_weights_banner(info.model_id))
        return line

    def _load_case(self) -> None:
        case = self.case_set[self.case.value]
        self.passages = list(case.passages)
        self.edited = set()
        self.comparison = self.previous = None
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
            passages = edit_passage(self.passages, self.passage.value, self.editor.value)
        except (ValueError, KeyError) as exc:
            self._show_error(exc)
            return
        if passages != self.passages:
            self.edited.add(self.passage.value)
        self.passages = passages
        self._score()

    def _score(self) -> None:
        with busy([self.button, self.reset, self.case, self.passage]):
            started = time.perf_counter()
            try:
                # Truncation is said inside the widget (below), not as a warning in the log.
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", TruncationWarning)
                    comparison = compare_stages(self.case_set[self.case.value].query, self.passages, self.reranker,
                                                encoder=self.encoder)
            except Exception as exc:  # shown in the widget, not as a traceback
                self._show_error(exc)
                return
            self.previous, self.comparison = self.comparison, comparison
            self.last_error = None
            self.error.value = ""
            self.table.value = stages_html(comparison, previous=self.previous, edited=self.edited)
            top = comparison.loc[comparison["rerank_rank"] == 1, "role"].iloc[0]
            moved = "" if self.previous is None else " Arrows show each passage's move since the last scoring."
            self.status.value = status_html(
                f"Scored {len(self.passages)} passages with three stages in {time.perf_counter() - started:.2f} s; "
                f"the reranker's top passage is {top}.{moved}"
            )
            cut = comparison[comparison["rerank_cut"] > 0]
            self.notice_text = "" if cut.empty else (
                "Truncated: " + ", ".join(f"{pid} lost {n} tokens" for pid, n in zip(cut.passage_id, cut.rerank_cut))
                + f" to fit max_length={self.reranker.info.max_length}; the reranker scored only the start."
            )
            self.notice.value = notice_html(self.notice_text) if self.notice_text else ""

    def _show_error(self, exc: BaseException) -> None:
        """Show the error and clear the results it makes stale."""
        self.last_error = friendly_message(exc)
        self.error.value = error_html(exc)
        self.comparison = self.previous = None
        self.table.value = self.notice.value = ""
        self.notice_text = ""
        self.status.value = status_html("Nothing scored: fix the problem above and press Re-score.")
