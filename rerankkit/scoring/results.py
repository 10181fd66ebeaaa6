"""Ranking results: typed rows in rank order, score cards for Jupyter, DataFrames.

Two score scales appear everywhere and are always labelled: the **raw logit** (what
the model outputs and what ranks; any real number) and the **normalized score**
(sigmoid of the logit, in [0, 1]; what thresholds are set on).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, overload

import numpy as np

from rerankkit._utils.checks import check_positive_int
from rerankkit.display.cards import ranking_html
from rerankkit.score_scale import DEFAULT_THRESHOLD, resolve_threshold, sigmoid

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
        passes: Whether score >= the ranking's threshold.
    """

    rank: int
    index: int
    text: str
    logit: float
    score: float
    n_tokens: int
    n_cut: int
    passes: bool

    @property
    def truncated(self) -> bool:
        """Whether the passage lost tokens to max_length."""
        return self.n_cut > 0


class Ranking(Sequence[RankedPassage]):
    """Passages ranked for one query, best first; iterable, indexable, cut with :meth:`top_k`.

    In Jupyter it renders as score cards: rank, normalized score, raw logit in grey, a bar as
    wide as the normalized score, green at or above the threshold and red below.
    """

    def __init__(
        self,
        query: str,
        rows: Sequence[RankedPassage],
        *,
        threshold: float = DEFAULT_THRESHOLD,
        model_label: str = "",
        random_weights: bool = False,
        n_candidates: int | None = None,
    ) -> None:
        self.query = query
        self.rows: tuple[RankedPassage, ...] = tuple(rows)
        self.threshold = threshold
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
        threshold: float = DEFAULT_THRESHOLD,
        model_label: str = "",
        random_weights: bool = False,
    ) -> Ranking:
        """Build a ranking from per-passage logits (ties keep input order)."""
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
                passes=bool(scores[i] >= threshold),
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

    def _with(self, rows: Sequence[RankedPassage], threshold: float | None = None) -> Ranking:
        return Ranking(
            self.query, rows, threshold=self.threshold if threshold is None else threshold,
            model_label=self.model_label, random_weights=self.random_weights, n_candidates=self.n_candidates,
        )

    def top_k(self, k: int) -> Ranking:
        """The best ``k`` rows (all of them if there are fewer)."""
        check_positive_int(k, "k")
        return self._with(self.rows[:k])

    def with_threshold(self, threshold: float | str) -> Ranking:
        """The same rows re-marked against another threshold (no re-scoring)."""
        cut = resolve_threshold(threshold)
        return self._with([replace(r, passes=r.score >= cut) for r in self.rows], threshold=cut)

    def passing(self) -> Ranking:
        """Only the rows whose normalized score reaches the threshold."""
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
