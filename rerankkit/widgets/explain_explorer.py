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

from rerankkit.errors import ConvergenceWarning, SlowExplanationWarning
from rerankkit.explain import explain
from rerankkit.explain.attributions import Explanation
from rerankkit.explain.probes import ProbeTable, probes
from rerankkit.widgets._common import busy, error_html, model_badge, status_html

__all__ = ["ExplainExplorer", "EXAMPLE_PAIRS", "pair_choices"]

TYPED = "(type your own)"
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
        >>> app.explanation.method, app.error is None
        ('occlusion', True)
    """

    def __init__(self, reranker, pairs: Sequence[tuple[str, str, str]] | None = None, *, n_steps: int = 32) -> None:
        self.reranker = reranker
        self.pairs = pair_choices(EXAMPLE_PAIRS if pairs is None else pairs)
        self.explanation: Explanation | None = None
        self.probe_table: ProbeTable | None = None
        self.error: BaseException | None = None

        self.pair = widgets.Dropdown(options=[TYPED] + [label for label, _, _ in self.pairs],
                                     value=self.pairs[0][0] if self.pairs else TYPED, description="Pair")
        first = self.pairs[0] if self.pairs else ("", "", "")
        self.query = widgets.Text(value=first[1], description="Query", layout=widgets.Layout(width="90%"))
        self.passage = widgets.Textarea(value=first[2], description="Passage",
                                        layout=widgets.Layout(width="90%", height="80px"))
        self.method = widgets.ToggleButtons(options=[("integrated gradients", "integrated_gradients"),
                                                     ("occlusion", "occlusion")], description="Method")
        self.n_steps = widgets.IntSlider(value=n_steps, min=4, max=256, step=4, description="IG steps")
        self.with_probes = widgets.Checkbox(value=True, description="what-if probes")
        self.run_button = widgets.Button(description="Explain", button_style="primary", icon="search")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(visibility="hidden"))
        self.badge = widgets.HTML(model_badge(reranker.info))
        self.status = widgets.HTML()
        self.highlights = widgets.HTML()
        self.probe_html = widgets.HTML()
        self.notes = widgets.HTML()

        self.pair.observe(self._on_pair, names="value")
        self.run_button.on_click(self._on_run)
        controls = widgets.HBox([self.run_button, self.with_probes, self.progress])
        super().__init__([self.badge, self.pair, self.query, self.passage, self.method, self.n_steps, controls,
                          self.status, self.notes, self.highlights, self.probe_html])

    def _on_pair(self, change) -> None:
        for label, query, passage in self.pairs:
            if label == change["new"]:
                self.query.value, self.passage.value = query, passage

    def _on_run(self, _button=None) -> None:
        controls = [self.run_button, self.pair, self.query, self.passage, self.method, self.n_steps, self.with_probes]
        self.error = None
        self.notes.value = ""
        started = time.perf_counter()
        with busy(controls, self.progress):
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", ConvergenceWarning)
                    warnings.simplefilter("always", SlowExplanationWarning)
                    self.explanation = explain(self.reranker, self.query.value, self.passage.value,
                                               method=self.method.value, n_steps=self.n_steps.value,
                                               show_progress=False)
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
        self.notes.value = "".join(
            status_html(f"Note: {w.message}") for w in caught
            if issubclass(w.category, (ConvergenceWarning, SlowExplanationWarning))
        )
        self.highlights.value = self.explanation._repr_html_()
        self.probe_html.value = self.probe_table._repr_html_() if self.probe_table is not None else ""
        self.status.value = status_html(
            f"{self.explanation.method.replace('_', ' ')}: {len(self.explanation.words)} words in "
            f"{time.perf_counter() - started:.2f} s"
        )
