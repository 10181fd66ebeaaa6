"""Split evaluation data by query, save the split, and check that no evaluation query is trained on.

A reranker tuned on a query it is later scored on looks better than it is. The split here is by query
(never by pair), seeded, saved as JSON beside the model, and checked against the training examples both by
query id and by the query's text (case and spacing ignored), since the same question can hide under
another id. The training side also loses the passages judged for test queries, so mining can never hand
the model a test query's answer as a negative (or a positive).

Example:
    >>> from rerankkit.evaluation import from_cases
    >>> data = from_cases("keyword_traps")
    >>> split = split_queries(data, test_fraction=0.5, seed=0)
    >>> sorted(split.train + split.test) == sorted(data.queries)
    True
    >>> leaked_queries(["Some new question", data.queries[split.test[0]]], split, data.queries) == [split.test[0]]
    True
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rerankkit.training.data import TrainExample

if TYPE_CHECKING:
    from rerankkit.evaluation.datasets import EvalData

__all__ = ["QuerySplit", "LeakageError", "split_queries", "leaked_queries", "check_no_leakage", "train_part",
           "held_out_part", "normalise_query"]


class LeakageError(ValueError):
    """A training query is also an evaluation query."""


def normalise_query(text: str) -> str:
    """Case-folded text with runs of spaces collapsed: how two queries are compared."""
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class QuerySplit:
    """Query ids for training and for evaluation (disjoint), with how they were drawn.

    Attributes:
        data: Name of the data set split.
        train: Training query ids.
        test: Held-out query ids (never trained on).
        seed: Seed of the shuffle.
        test_fraction: Share of queries held out.
    """

    data: str
    train: tuple[str, ...]
    test: tuple[str, ...]
    seed: int
    test_fraction: float

    def __post_init__(self) -> None:
        both = sorted(set(self.train) & set(self.test))
        if both:
            raise LeakageError(f"split of {self.data}: {len(both)} query ids are in both train and test "
                               f"(e.g. {both[:3]}); a query belongs to one side only")

    def save(self, path: str | os.PathLike) -> Path:
        """Write the split as JSON (ids sorted, so it diffs cleanly)."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps({"data": self.data, "seed": self.seed, "test_fraction": self.test_fraction,
                                 "train": sorted(self.train), "test": sorted(self.test)}, indent=1) + "\n",
                     encoding="utf-8")
        return p

    @classmethod
    def load(cls, path: str | os.PathLike) -> QuerySplit:
        """Read a split written by :meth:`save`."""
        p = Path(path)
        try:
            raw = json.loads(p.read_text(encoding="utf-8"))
            return cls(data=str(raw["data"]), train=tuple(raw["train"]), test=tuple(raw["test"]),
                       seed=int(raw["seed"]), test_fraction=float(raw["test_fraction"]))
        except FileNotFoundError:
            raise FileNotFoundError(f"no split file {os.fspath(p)!r}: make one with split_queries(data).save(path)"
                                    ) from None
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, LeakageError):
                raise
            raise ValueError(f"{os.fspath(p)} is not a split file ({exc}); it needs data, seed, test_fraction, "
                             "train and test") from None


def split_queries(data: EvalData, *, test_fraction: float = 0.2, seed: int = 0) -> QuerySplit:
    """Hold out a seeded random share of the judged queries (at least one on each side).

    Queries with the same text (case and spacing ignored) stay together, so a duplicate cannot leak.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1 (exclusive), got {test_fraction!r}")
    judged = sorted(q for q in data.queries if any(g > 0 for g in data.qrels.get(q, {}).values()))
    # The same question under two ids goes to one side: the split is by query text, not only by id.
    groups: dict[str, list[str]] = {}
    for q in judged:
        groups.setdefault(normalise_query(data.queries[q]), []).append(q)
    order = sorted(groups)
    if len(order) < 2:
        raise ValueError(f"{data.name}: {len(order)} distinct judged queries; a split needs at least 2")
    random.Random(seed).shuffle(order)
    n_test = min(max(1, round(len(order) * test_fraction)), len(order) - 1)
    test = sorted(q for key in order[:n_test] for q in groups[key])
    train = sorted(q for key in order[n_test:] for q in groups[key])
    return QuerySplit(data=data.name, train=tuple(train), test=tuple(test), seed=seed, test_fraction=test_fraction)


def leaked_queries(train_queries: Iterable[str | TrainExample], split: QuerySplit,
                   queries: Mapping[str, str]) -> list[str]:
    """Held-out query ids that the training side contains, by id (examples with ``qid``) or by text."""
    test_text = {normalise_query(queries[q]): q for q in split.test if q in queries}
    leaked: dict[str, None] = {}
    for item in train_queries:
        if isinstance(item, TrainExample):
            if item.qid is not None and item.qid in split.test:
                leaked[item.qid] = None
            text = item.query
        else:
            text = item
        if (hit := test_text.get(normalise_query(text))) is not None:
            leaked[hit] = None
    return list(leaked)


def check_no_leakage(train_queries: Iterable[str | TrainExample], split: QuerySplit,
                     queries: Mapping[str, str]) -> None:
    """Raise :class:`LeakageError` when any held-out query is among the training queries."""
    leaked = leaked_queries(train_queries, split, queries)
    if leaked:
        raise LeakageError(f"{len(leaked)} held-out queries of {split.data} are in the training data (e.g. "
                           f"{[queries.get(q, q) for q in leaked[:3]]}); rebuild the training data from "
                           "train_part(data, split), or split again")


def _subset(data: EvalData, qids: Iterable[str], drop_docs: set[str]) -> EvalData:
    keep = [q for q in qids if q in data.queries]
    run = None if data.run is None else {q: {d: s for d, s in data.run[q].items() if d not in drop_docs}
                                         for q in keep if q in data.run}
    return replace(data, queries={q: data.queries[q] for q in keep},
                   docs={d: t for d, t in data.docs.items() if d not in drop_docs},
                   qrels={q: dict(data.qrels.get(q, {})) for q in keep}, run=run)


def train_part(data: EvalData, split: QuerySplit) -> EvalData:
    """The training queries, over a corpus without the passages judged relevant for any held-out query."""
    held = {d for q in split.test for d, g in data.qrels.get(q, {}).items() if g > 0}
    held -= {d for q in split.train for d, g in data.qrels.get(q, {}).items() if g > 0}  # shared answers stay
    part = _subset(data, split.train, held)
    return replace(part, name=f"{data.name} (train)")


def held_out_part(data: EvalData, split: QuerySplit) -> EvalData:
    """The held-out queries over the whole corpus (what evaluation ranks)."""
    return replace(_subset(data, split.test, set()), name=f"{data.name} (held out)")
