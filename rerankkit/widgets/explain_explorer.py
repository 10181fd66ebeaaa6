"""Explain explorer: pick or type a pair, choose a method, see highlighted words and what-if probes.

The widget holds no logic: it calls :func:`rerankkit.explain` and
:func:`rerankkit.explain.probes` and renders their results into HTML widgets. The last
results stay on ``.explanation`` and ``.probe_table``; a failure is on ``.error`` and
shown in the widget as a message.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence

import ipywidgets as widgets

from rerankkit.display.explanation import explanation_html
from rerankkit.errors import ConvergenceWarning, SlowExplanationWarning
from rerankkit.explain import explain
from rerankkit.explain.attributions import Explanation
from rerankkit.explain.probes import ProbeTable, probes
from rerankkit.widgets._common import (
    FIELD_WIDTH,
    FULL_WIDTH,
    busy,
    error_html,
    model_badge,
    notice_html,
    read_int,
    status_html,
)

__all__ = ["ExplainExplorer", "EXAMPLE_PAIRS", "pair_choices"]

TYPED = "(type your own)"
MAX_STEPS = 256  # integrated-gradients steps the widget allows; more adds time, not insight, at this scale
# Long inputs scroll inside this height instead of growing the page.
_SCROLL = "<div style='max-height:480px;overflow-y:auto;overflow-x:hidden'>{}</div>"
EXAMPLE_PAIRS: list[tuple[str, str, str]] = [
    ("France / Paris", "What is the capital of France?", "Paris is the capital city of France."),
    ("France / Berlin", "What is the capital of France?", "Berlin is the capital of Germany."),
    ("panda", "what is panda?", "The giant panda is a bear species endemic to China."),
    ("cross-lingual", "中国的首都是哪里?", "Beijing is the capital of China."),
]


def pair_choices(items) -> list[tuple[str, str, str]]:
    """Menu choices ``(label, query, passage)`` from triples or from case-set cases.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> case = NS(id="c1", query="q?", passages=[NS(id="p1", text="a"), NS(id="p2", text="b")])
        >>> pair_choices([case, ("mine", "q2", "c")])
        [('c1 / p1', 'q?', 'a'), ('c1 / p2', 'q?', 'b'), ('mine', 'q2', 'c')]
    """
    choices = []
    for i, item in enumerate(items):
        if hasattr(item, "query") and hasattr(item, "passages"):
            choices += [(f"{item.id} / {p.id}", item.query, p.text) for p in item.passages]
        elif isinstance(item, (tuple, list)) and len(item) == 3 and all(isinstance(x, str) for x in item):
            choices.append(tuple(item))
        else:
            raise ValueError(
                f"pairs[{i}] must be a (label, query, passage) triple of strings or a case with .query and "
                f".passages, got {item!r}"
            )
    labels = [label for label, _, _ in choices]
    if len(set(labels)) != len(labels):
        raise ValueError("pairs have repeated labels: give every (label, query, passage) a distinct label")
    return choices


class ExplainExplorer(widgets.VBox):
    """Choose a pair (typed or from a list), a method, run; see word highlights and the probe table.

    Args:
        reranker: A loaded reranker (fp32).
        pairs: Choices for the pair menu: ``(label, query, passage)`` triples, or cases of a case
            set (objects with ``id``, ``query`` and ``passages`` whose items have ``id`` and
            ``text``), one choice per passage. Default: a few examples.
        n_steps: Initial integrated-gradients steps.

    Example:
        >>> import rerankkit
        >>> from rerankkit.widgets.explain_explorer import ExplainExplorer
        >>> app = ExplainExplorer(rerankkit.load("tiny-random"))
        >>> app.method.value = "occlusion"
        >>> app.run_button.click()
        >>> app.explanation.method, app.error is None, app.progress.value == app.progress.max
        ('occlusion', True, True)
    """

    def __init__(self, reranker, pairs: Sequence[tuple[str, str, str]] | None = None, *, n_steps: int = 32) -> None:
        self.reranker = reranker
        self.pairs = pair_choices(EXAMPLE_PAIRS if pairs is None else pairs)
        self.explanation: Explanation | None = None
        self.probe_table: ProbeTable | None = None
        self.error: BaseException | None = None
        self.notice_text = ""
        self._filling = False

        self.pair = widgets.Dropdown(options=[TYPED] + [label for label, _, _ in self.pairs],
                                     value=self.pairs[0][0] if self.pairs else TYPED, description="Pair",
                                     layout=widgets.Layout(width="auto", max_width="100%"))
        first = self.pairs[0] if self.pairs else ("", "", "")
        self.query = widgets.Text(value=first[1], description="Query", layout=widgets.Layout(width=FIELD_WIDTH))
        self.passage = widgets.Textarea(value=first[2], description="Passage",
                                        layout=widgets.Layout(width=FIELD_WIDTH, height="80px"))
        self.method = widgets.ToggleButtons(options=[("integrated gradients", "integrated_gradients"),
                                                     ("occlusion", "occlusion")], description="Method")
        # A text box: a typed value that is refused or changed is said in the widget, not clamped silently.
        self.n_steps = widgets.Text(value=str(n_steps), description="IG steps", continuous_update=False,
                                    tooltip=f"Integrated-gradients steps, 4 to {MAX_STEPS}",
                                    layout=widgets.Layout(width="200px"))
        self.with_probes = widgets.Checkbox(value=True, description="what-if probes")
        self.run_button = widgets.Button(description="Explain", button_style="primary", icon="search")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(visibility="hidden"))
        self.badge = widgets.HTML(model_badge(reranker.info))
        self.notice = widgets.HTML()
        self.status = widgets.HTML()
        self.highlights = widgets.HTML()
        self.probe_html = widgets.HTML()
        self.notes = widgets.HTML()

        self.pair.observe(self._on_pair, names="value")
        self.query.observe(self._on_text, names="value")
        self.passage.observe(self._on_text, names="value")
        self.n_steps.observe(self._on_steps, names="value")
        self.run_button.on_click(self._on_run)
        controls = widgets.HBox([self.run_button, self.with_probes, self.progress],
                                layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([self.badge, self.pair, self.query, self.passage, self.method, self.n_steps, self.notice,
                          controls, self.status, self.notes, self.highlights, self.probe_html],
                         layout=widgets.Layout(**FULL_WIDTH))

    def _on_pair(self, change) -> None:
        for label, query, passage in self.pairs:
            if label == change["new"]:
                self._filling = True
                try:
                    self.query.value, self.passage.value = query, passage
                finally:
                    self._filling = False

    def _on_text(self, _change) -> None:
        """An edit of the query or passage makes the pair the learner's own: the menu says so."""
        if self._filling or self.pair.value == TYPED:
            return
        chosen = next((q, p) for label, q, p in self.pairs if label == self.pair.value)
        if chosen != (self.query.value, self.passage.value):
            self.pair.value = TYPED

    def _read_steps(self) -> int:
        try:
            value, note = read_int(self.n_steps.value, "IG steps", 4, MAX_STEPS)
        except ValueError as exc:
            self.notice_text = f"{exc}; nothing runs until it is fixed."
            self.notice.value = notice_html(self.notice_text)
            raise
        self.notice_text = note
        self.notice.value = notice_html(note) if note else ""
        if self.n_steps.value != str(value):
            self.n_steps.value = str(value)  # the observer runs again on a valid value and keeps the note
            self.notice_text = note
            self.notice.value = notice_html(note)
        return value

    def _on_steps(self, _change) -> None:
        try:
            self._read_steps()
        except ValueError:
            pass  # the notice says what is wrong

    def _on_progress(self, done: int, total: int, estimate: float, caught: list) -> None:
        """Before the run: the estimate and any slow-run note; during it: the bar moves."""
        if done == 0:
            self.status.value = status_html(f"Running {self.method.value.replace('_', ' ')}: estimated about "
                                            f"{estimate:.0f} s on {self.reranker.info.device} ...")
            self._show_notes(caught)
        self.progress.max = max(1, total)
        self.progress.value = done

    def _show_notes(self, caught: list) -> None:
        self.notes.value = "".join(
            notice_html(f"Note: {w.message}") for w in caught
            if issubclass(w.category, (ConvergenceWarning, SlowExplanationWarning))
        )

    def _on_run(self, _button=None) -> None:
        controls = [self.run_button, self.pair, self.query, self.passage, self.method, self.n_steps, self.with_probes]
        if self.error is not None:  # the last run's error is not about this run: clear it before this one starts
            self.highlights.value = self.probe_html.value = ""
        self.error = None
        self.notes.value = ""
        self.progress.value = 0
        started = time.perf_counter()
        with busy(controls, self.progress):
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", ConvergenceWarning)
                    warnings.simplefilter("always", SlowExplanationWarning)
                    self.explanation = explain(self.reranker, self.query.value, self.passage.value,
                                               method=self.method.value, n_steps=self._read_steps(),
                                               show_progress=False,
                                               on_progress=lambda d, t, e: self._on_progress(d, t, e, caught))
                    self.probe_table = (probes(self.reranker, self.query.value, self.passage.value)
                                        if self.with_probes.value else None)
            except Exception as exc:  # shown in the widget, never as a traceback
                self.error = exc
                self.explanation = None
                self.probe_table = None
                self.highlights.value = error_html(exc)
                self.probe_html.value = ""
                self.status.value = ""
                return
        self._show_notes(caught)
        # The badge carries the widget's one random-weights banner.
        self.highlights.value = _SCROLL.format(explanation_html(self.explanation, banner=False))
        self.probe_html.value = (_SCROLL.format(self.probe_table.to_html(banner=False))
                                 if self.probe_table is not None else "")
        self.status.value = status_html(
            f"{self.explanation.method.replace('_', ' ')}: {len(self.explanation.words)} words in "
            f"{time.perf_counter() - started:.2f} s"
        )
