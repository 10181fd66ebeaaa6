"""Ranking results: typed rows in rank order, score cards for Jupyter, DataFrames.

Two score scales appear everywhere and are always labelled: the **raw logit** (what
the model outputs and what ranks; any real number) and the **normalized score**
(sigmoid of the logit, in [0, 1]; what thresholds are set on).

A ranking marks no row as passing until a cut-off is chosen: per query, :meth:`Ranking.with_top_k` or
:meth:`Ranking.with_gap` (no labels needed); across queries, :meth:`Ranking.with_threshold` with a
threshold calibrated on labelled pairs (a preset is only an uncalibrated starting point).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, overload

import numpy as np

from rerankkit._utils.checks import check_positive_int
from rerankkit.display.cards import ranking_html
from rerankkit.score_scale import THRESHOLD_PRESETS, resolve_threshold, sigmoid

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RankedPassage", "Ranking"]


@dataclass(frozen=True)
class RankedPassage:
    """One row of a ranking.

    Attributes:
        rank: 1 for the best passage.
        index: Position of the passage in the input list.
        text: The passage.
        logit: Raw model output (ranks; any real number).
        score: Normalized score, sigmoid(logit), in [0, 1].
        n_tokens: Tokens of the pair the model saw.
        n_cut: Tokens cut from the passage to fit max_length.
        passes: Whether the row is kept by the ranking's cut-off (``None`` while no cut-off is chosen).
    """

    rank: int
    index: int
    text: str
    logit: float
    score: float
    n_tokens: int
    n_cut: int
    passes: bool | None = None

    @property
    def truncated(self) -> bool:
        """Whether the passage lost tokens to max_length."""
        return self.n_cut > 0


class Ranking(Sequence[RankedPassage]):
    """Passages ranked for one query, best first; iterable, indexable, cut with :meth:`top_k`.

    In Jupyter it renders as score cards: rank, normalized score, raw logit in grey, a bar as
    wide as the normalized score; green (kept) and red (cut) only once a cut-off is chosen.

    Attributes:
        threshold: The sigmoid-score threshold that marks rows, or ``None``.
        cutoff: What marks the rows, in words (``"top 3"``, ``"threshold 0.80, uncalibrated"``), or ``None``
            while the ranking shows the order only.
    """

    def __init__(
        self,
        query: str,
        rows: Sequence[RankedPassage],
        *,
        threshold: float | None = None,
        model_label: str = "",
        random_weights: bool = False,
        n_candidates: int | None = None,
        cutoff: str | None = None,
    ) -> None:
        self.query = query
        self.rows: tuple[RankedPassage, ...] = tuple(rows)
        self.threshold = threshold
        self.cutoff = cutoff if cutoff is not None else _threshold_words(threshold, None)
        self.model_label = model_label
        self.random_weights = random_weights
        self.n_candidates = len(self.rows) if n_candidates is None else n_candidates

    @classmethod
    def from_scores(
        cls,
        *,
        query: str,
        texts: Sequence[str],
        logits: np.ndarray,
        n_tokens: np.ndarray,
        n_cut: np.ndarray,
        threshold: float | None = None,
        model_label: str = "",
        random_weights: bool = False,
    ) -> Ranking:
        """Build a ranking from per-passage logits (ties keep input order); rows are marked against
        ``threshold`` only when one is given."""
        logits = np.asarray(logits, dtype=np.float64)
        scores = np.atleast_1d(sigmoid(logits))
        order = np.argsort(-logits, kind="stable")
        rows = [
            RankedPassage(
                rank=rank,
                index=int(i),
                text=texts[i],
                logit=float(logits[i]),
                score=float(scores[i]),
                n_tokens=int(n_tokens[i]),
                n_cut=int(n_cut[i]),
                passes=None if threshold is None else bool(scores[i] >= threshold),
            )
            for rank, i in enumerate(order, start=1)
        ]
        return cls(query, rows, threshold=threshold, model_label=model_label, random_weights=random_weights)

    # -- sequence protocol ----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[RankedPassage]:
        return iter(self.rows)

    @overload
    def __getitem__(self, i: int) -> RankedPassage: ...
    @overload
    def __getitem__(self, i: slice) -> Ranking: ...

    def __getitem__(self, i: int | slice) -> RankedPassage | Ranking:
        if isinstance(i, slice):
            return self._with(self.rows[i])
        return self.rows[i]

    def _with(self, rows: Sequence[RankedPassage], **marking: object) -> Ranking:
        """The same ranking with other rows; ``marking`` (``threshold``, ``cutoff``) replaces how rows are marked."""
        threshold = marking.get("threshold", self.threshold)
        cutoff = marking.get("cutoff", self.cutoff)
        return Ranking(
            self.query, rows, threshold=threshold,  # type: ignore[arg-type]
            model_label=self.model_label, random_weights=self.random_weights, n_candidates=self.n_candidates,
            cutoff=cutoff,  # type: ignore[arg-type]
        )

    def top_k(self, k: int) -> Ranking:
        """The best ``k`` rows (all of them if there are fewer)."""
        check_positive_int(k, "k")
        return self._with(self.rows[:k])

    def with_threshold(self, threshold: float | str | None, *, source: str | None = None) -> Ranking:
        """The same rows marked against a threshold on the normalized score (no re-scoring).

        Args:
            threshold: A sigmoid score in [0, 1] or a preset name; ``None`` removes every mark.
            source: Where the threshold comes from, e.g. ``"calibrated on 120 labelled pairs"``; without it
                the threshold is labelled uncalibrated.

        Example:
            >>> r = Ranking.from_scores(query="q", texts=["a", "b"], logits=[2.0, -2.0], n_tokens=[5, 5], n_cut=[0, 0])
            >>> [row.passes for row in r], r.with_threshold("strict").cutoff
            ([None, None], 'threshold 0.80 (strict preset, uncalibrated)')
        """
        if threshold is None:
            return self._with([replace(r, passes=None) for r in self.rows], threshold=None, cutoff=None)
        cut = resolve_threshold(threshold)
        words = _threshold_words(cut, threshold if isinstance(threshold, str) else None, source)
        return self._with([replace(r, passes=r.score >= cut) for r in self.rows], threshold=cut, cutoff=words)

    def with_top_k(self, k: int) -> Ranking:
        """All rows, the best ``k`` marked as kept: a per-query cut-off that needs no calibration.

        Example:
            >>> r = Ranking.from_scores(query="q", texts=["a", "b", "c"], logits=[2.0, -2.0, 0.0], n_tokens=[5] * 3,
            ...                         n_cut=[0] * 3)
            >>> [row.passes for row in r.with_top_k(2)], r.with_top_k(2).cutoff
            ([True, True, False], 'top 2 of this query')
        """
        check_positive_int(k, "k")
        return self._with([replace(r, passes=r.rank <= k) for r in self.rows], threshold=None,
                          cutoff=f"top {k} of this query")

    def with_gap(self, gap: float) -> Ranking:
        """All rows, those whose raw logit is within ``gap`` of the query's top logit marked as kept.

        A per-query cut-off: it keeps the passages the model scores close to its best one for this query,
        so it adapts to each query's scale and needs no calibration.

        Example:
            >>> r = Ranking.from_scores(query="q", texts=["a", "b", "c"], logits=[2.0, -2.0, 1.5], n_tokens=[5] * 3,
            ...                         n_cut=[0] * 3)
            >>> [row.passes for row in r.with_gap(1.0)]
            [True, True, False]
        """
        if isinstance(gap, bool) or not isinstance(gap, (int, float)) or not np.isfinite(gap) or gap < 0:
            raise ValueError(f"gap must be a finite number of logits >= 0 (distance below the top score), got {gap!r}")
        top = max((r.logit for r in self.rows), default=0.0)
        return self._with([replace(r, passes=top - r.logit <= gap) for r in self.rows], threshold=None,
                          cutoff=f"within {float(gap):g} logits of the top score")

    def passing(self) -> Ranking:
        """Only the rows the cut-off keeps.

        Raises:
            ValueError: No cut-off has been chosen (see :meth:`with_top_k`, :meth:`with_gap`,
                :meth:`with_threshold`).
        """
        if self.cutoff is None:
            raise ValueError("no cut-off chosen, so no row passes or fails: choose one with ranking.with_top_k(k), "
                             "ranking.with_gap(logits) or ranking.with_threshold(t) (t calibrated on labelled pairs)")
        return self._with([r for r in self.rows if r.passes])

    @property
    def logits(self) -> np.ndarray:
        """Raw logits in rank order."""
        return np.array([r.logit for r in self.rows])

    @property
    def scores(self) -> np.ndarray:
        """Normalized scores in rank order."""
        return np.array([r.score for r in self.rows])

    @property
    def indices(self) -> list[int]:
        """Input positions in rank order."""
        return [r.index for r in self.rows]

    def to_frame(self) -> pd.DataFrame:
        """Rows as a pandas DataFrame (one row per passage, rank order)."""
        import pandas as pd

        columns = ["rank", "index", "text", "logit", "score", "n_tokens", "n_cut", "truncated", "passes"]
        return pd.DataFrame(
            [[r.rank, r.index, r.text, r.logit, r.score, r.n_tokens, r.n_cut, r.truncated, r.passes] for r in self.rows],
            columns=columns,
        )

    def __repr__(self) -> str:
        lines = [f"Ranking for {self.query!r} ({len(self)} of {self.n_candidates} passages, model {self.model_label})"]
        for r in self.rows:
            text = r.text if len(r.text) <= 70 else r.text[:67] + "..."
            lines.append(f"  {r.rank:>3}. score {r.score:.4f}  logit {r.logit:+8.4f}  [{r.index}] {text}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return ranking_html(self)


def _threshold_words(cut: float | None, preset: str | None, source: str | None = None) -> str | None:
    """How a threshold is described wherever it is shown: calibrated (with its source) or not."""
    if cut is None:
        return None
    if source:
        return f"threshold {cut:.2f} ({source})"
    if preset is None:
        preset = next((n for n, p in THRESHOLD_PRESETS.items() if abs(p.value - cut) < 1e-9), None)
    return f"threshold {cut:.2f} ({preset + ' preset, ' if preset else ''}uncalibrated)"
