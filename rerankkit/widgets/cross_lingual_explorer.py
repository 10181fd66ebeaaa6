"""The cross-lingual explorer: one fact asked and answered in many languages.

Choose a fact, the query languages and the passage languages, press Score: a heatmap of
query language by passage language (:func:`rerankkit.evaluation.crosslingual.pair_scores` and
:func:`~rerankkit.evaluation.crosslingual.score_matrix`), and the ranked list for one query language over
the fact's passages, other facts' passages and unrelated negatives
(:func:`~rerankkit.evaluation.crosslingual.fact_candidates`, :meth:`Reranker.rerank`). State is observable
(``matrix``, ``ranking``, ``candidates``, ``figure``, ``list_html.value``, ``last_error``).
"""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING

import ipywidgets as widgets

from rerankkit.cases import CaseSet
from rerankkit.cases import load as load_cases
from rerankkit.display.style import MUTED_COLOUR, NEUTRAL_COLOUR, PASS_COLOUR, styled
from rerankkit.evaluation.crosslingual import fact_candidates, pair_scores, score_matrix
from rerankkit.widgets._common import FULL_WIDTH, busy, error_html, friendly_message, model_badge, status_html

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from rerankkit.scoring.reranker import Reranker
    from rerankkit.scoring.results import Ranking

__all__ = ["CrossLingualExplorer", "labelled_ranking_html"]


def labelled_ranking_html(ranking: Ranking, candidates: list) -> str:
    """A ranked table: rank, language, label (same fact or not), sigmoid score, raw logit, text."""
    rows = []
    for r in ranking:
        p = candidates[r.index]
        same = p.relevance > 0
        colour = PASS_COLOUR if same else NEUTRAL_COLOUR
        rows.append(
            f"<tr data-relevance='{p.relevance}'><td>{r.rank}</td><td>{html.escape(p.language or '')}</td>"
            f"<td style='color:{colour}'>{'same fact' if same else 'other'}</td><td>{r.score:.4f}</td>"
            f"<td style='color:{MUTED_COLOUR}'>{r.logit:+.3f}</td><td>{html.escape(p.text)}</td></tr>"
        )
    head = ("<tr><th>rank</th><th>lang</th><th>label</th><th>sigmoid score</th><th>raw logit</th>"
            "<th>passage</th></tr>")
    return styled("<div style='max-height:360px;overflow-y:auto;overflow-x:hidden'><table class='rk-table' "
                  f"style='font-size:.9em'>{head}{''.join(rows)}</table></div>")


class CrossLingualExplorer(widgets.VBox):
    """Choose a fact and languages; the heatmap and the ranked list update.

    Choosing another fact or another **List for** language re-scores at once; after changing the
    language selections, press Score (selecting several languages would otherwise score at every click).

    Args:
        reranker: A loaded :class:`~rerankkit.scoring.reranker.Reranker`.
        fact_set: ``cases.load("cross_lingual")`` (default) or another set in its schema.
        fact: Fact id shown first.
        query_languages: Initially selected query languages (default: all).
        passage_languages: Initially selected passage languages (default: all).
        n_other: Other facts' passages added to the ranked list, per passage language.

    Attributes:
        matrix: Query language by passage language, raw logits of the fact's own passages.
        ranking: The ranked list for ``list_language``'s query.
        candidates: Labelled passages the ranking indexes into.
        figure: The heatmap figure shown.
        last_error: The message shown in the error box, or ``None``.

    Example:
        >>> import rerankkit
        >>> app = CrossLingualExplorer(rerankkit.load("tiny-random"), query_languages=["en", "zh"],
        ...                            passage_languages=["en", "zh", "ar"])
        >>> app.button.click()
        >>> app.matrix.shape, len(app.ranking) == len(app.candidates)
        ((2, 3), True)
    """

    def __init__(self, reranker: Reranker, *, fact_set: CaseSet | str = "cross_lingual", fact: str | None = None,
                 query_languages: list[str] | None = None, passage_languages: list[str] | None = None,
                 n_other: int = 2) -> None:
        self.reranker = reranker
        self._updating = False
        self.fact_set = fact_set if isinstance(fact_set, CaseSet) else load_cases(fact_set)
        if not self.fact_set.facts:
            raise ValueError(f"{self.fact_set.name} has no facts: use cases.load('cross_lingual')")
        self.n_other = n_other
        self.matrix: pd.DataFrame | None = None
        self.ranking: Ranking | None = None
        self.candidates: list = []
        self.figure: Figure | None = None
        self.last_error: str | None = None
        langs = list(self.fact_set.languages)

        self.badge = widgets.HTML(model_badge(reranker.info))
        self.fact = widgets.Dropdown(options=[(f"{f.id} · {f.topic}", f.id) for f in self.fact_set.facts],
                                     value=fact or self.fact_set.facts[0].id, description="Fact",
                                     layout=widgets.Layout(width="auto", max_width="100%"))
        self.query_languages = widgets.SelectMultiple(options=langs, value=tuple(query_languages or langs),
                                                      description="Queries", rows=min(10, len(langs)))
        self.passage_languages = widgets.SelectMultiple(options=langs, value=tuple(passage_languages or langs),
                                                        description="Passages", rows=min(10, len(langs)))
        # "List for" offers the query languages chosen, the rows of the heatmap.
        self.list_language = widgets.Dropdown(options=list(query_languages or langs),
                                              value=(query_languages or langs)[0],
                                              description="List for", layout=widgets.Layout(width="200px"))
        self.button = widgets.Button(description="Score", button_style="primary", icon="th",
                                     tooltip="Score the fact's queries against its passages in the chosen languages")
        self.status = widgets.HTML()
        self.error = widgets.HTML()
        # Hidden until Score draws it: an empty Image shows as a broken image in the browser.
        self.heatmap = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", display="none"))
        self.list_query = widgets.HTML()
        self.list_html = widgets.HTML()
        self.button.on_click(lambda _: self.score())
        self.fact.observe(lambda _: self.score(), names="value")
        self.list_language.observe(self._on_list_language, names="value")
        self.query_languages.observe(self._on_query_languages, names="value")
        controls = widgets.HBox([self.query_languages, self.passage_languages,
                                 widgets.VBox([self.fact, self.list_language, self.button],
                                              layout=widgets.Layout(flex="1 1 240px", min_width="0"))],
                                layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([self.badge, controls, self.status, self.error, self.heatmap, self.list_query,
                          self.list_html], layout=widgets.Layout(**FULL_WIDTH))

    def _on_query_languages(self, change: dict) -> None:
        chosen = list(change["new"])
        if not chosen:
            return  # Score then says to choose one
        self._updating = True  # changing the options must not re-score before Score is pressed
        try:
            keep = self.list_language.value if self.list_language.value in chosen else chosen[0]
            self.list_language.options = chosen
            self.list_language.value = keep
        finally:
            self._updating = False

    def _on_list_language(self, _change: dict) -> None:
        if not self._updating:
            self.score()

    def score(self) -> None:
        """Score the chosen fact in the chosen languages; redraw the heatmap and the ranked list."""
        with busy([self.button, self.fact, self.query_languages, self.passage_languages, self.list_language]):
            started = time.perf_counter()
            try:
                q_langs, p_langs = list(self.query_languages.value), list(self.passage_languages.value)
                if not q_langs or not p_langs:
                    raise ValueError("choose at least one query language and one passage language")
                frame = pair_scores(self.reranker, self.fact_set, query_languages=q_langs,
                                    passage_languages=p_langs, facts=[self.fact.value], n_other=0,
                                    with_negatives=False)
                matrix = score_matrix(frame)
                candidates = fact_candidates(self.fact_set, self.fact.value, p_langs, n_other=self.n_other)
                query = self.fact_set.fact(self.fact.value).queries[self.list_language.value]
                ranking = self.reranker.rerank(query, [p.text for p in candidates])
            except Exception as exc:  # shown in the widget, not as a traceback; the old results go
                self.last_error = friendly_message(exc)
                self.error.value = error_html(exc)
                self.matrix = self.ranking = self.figure = None
                self.candidates = []
                self.heatmap.value = b""
                self.heatmap.layout.display = "none"
                self.list_query.value = self.list_html.value = ""
                self.status.value = status_html("Nothing scored: fix the problem above and press Score.")
                return
            self.last_error = None
            self.error.value = ""
            self.matrix, self.candidates, self.ranking = matrix, candidates, ranking
            self._draw(matrix)
            self.heatmap.layout.display = None
            self.list_query.value = (f"<div><b>Query ({html.escape(self.list_language.value)}):</b> "
                                     f"{html.escape(query)}</div>")
            self.list_html.value = labelled_ranking_html(ranking, candidates)
            self.status.value = status_html(
                f"{len(frame) + len(candidates)} pairs scored in {time.perf_counter() - started:.2f} s"
            )

    def _draw(self, matrix: pd.DataFrame) -> None:
        import io

        import matplotlib.pyplot as plt

        from rerankkit.display.plots import plot_crosslingual_heatmap

        # A PNG in an Image widget renders the same in JupyterLab, in tests and with no kernel display hook.
        figure = plot_crosslingual_heatmap(matrix, title=f"{self.fact.label}: raw logit of the fact's own passage")
        self.figure = figure
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")  # sharp on high-density screens
        plt.close(figure)
        self.heatmap.value = buffer.getvalue()
