"""Hard negatives from the kit's first stages, with false negatives filtered out and reported.

For each training query a first stage (BM25, dense or their hybrid) ranks the corpus; candidates within a
rank window (e.g. ranks 3-50: close enough to be hard, past the very top where unjudged relevant passages
crowd) that are not judged relevant become negatives, up to ``n_negatives`` per query. Mined "negatives"
that are really relevant are the classic failure of this recipe (an unjudged answer teaches the model to
push answers down), so a scorer can veto them: a candidate it rates within ``margin`` of the query's best
positive, or above it, is dropped. The :class:`MiningReport` counts the drops and shows examples to read.

Example:
    >>> from rerankkit.evaluation import from_cases
    >>> examples, report = mine_hard_negatives(from_cases("keyword_traps"), "bm25", rank_window=(1, 5),
    ...                                        n_negatives=2, show_progress=False)
    >>> all(len(ex.neg) <= 2 for ex in examples), report.n_dropped
    (True, 0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rerankkit._utils.checks import check_positive_int
from rerankkit.training.data import TrainExample

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.evaluation.datasets import EvalData
    from rerankkit.retrieval.dense import DenseEncoder
    from rerankkit.retrieval.hybrid import Retriever
    from rerankkit.scoring.reranker import Reranker

__all__ = ["MiningReport", "mine_hard_negatives", "make_first_stage"]

Scorer = Callable[[str, Sequence[str]], Sequence[float]]


@dataclass(frozen=True)
class MiningReport:
    """What mining did.

    Attributes:
        first_stage: The retriever's name.
        rank_window: Ranks (1-based, inclusive) candidates were taken from.
        n_queries: Training queries mined.
        n_candidates: Candidates in the window that were not judged relevant.
        n_dropped: Candidates the false-negative filter dropped.
        n_negatives: Negatives kept, in all.
        short_queries: Queries that got fewer than the asked number of negatives.
        margin: The filter's margin (None: no filter).
        dropped: Examples of dropped candidates: query, positive, candidate, rank, their scores.
    """

    first_stage: str
    rank_window: tuple[int, int]
    n_queries: int
    n_candidates: int
    n_dropped: int
    n_negatives: int
    short_queries: int
    margin: float | None
    dropped: pd.DataFrame = field(repr=False)

    def summary(self) -> str:
        """One paragraph for a notebook or a log."""
        lo, hi = self.rank_window
        kept = self.n_candidates - self.n_dropped
        text = (f"{self.first_stage} ranks {lo}-{hi}: {self.n_candidates} unjudged candidates for {self.n_queries} "
                f"queries; ")
        if self.margin is None:
            text += "no false-negative filter; "
        else:
            share = self.n_dropped / self.n_candidates if self.n_candidates else 0.0
            text += (f"the filter dropped {self.n_dropped} ({share:.1%}) scored within {self.margin:g} of their "
                     f"query's positive or above it; ")
        return text + (f"{kept} passed, {self.n_negatives} kept as negatives; {self.short_queries} queries have fewer "
                       "than asked.")


def make_first_stage(kind: str, corpus: Sequence[str], *, encoder: DenseEncoder | str | None = None,
                     depth: int = 100) -> Retriever:
    """A ``bm25``, ``dense`` or ``hybrid`` (RRF of both) retriever over ``corpus``."""
    from rerankkit.retrieval import BM25Retriever, DenseRetriever, HybridRetriever

    texts = list(corpus)
    if kind == "bm25":
        return BM25Retriever(texts)
    if kind == "dense":
        return DenseRetriever(texts, encoder)
    if kind == "hybrid":
        return HybridRetriever([BM25Retriever(texts), DenseRetriever(texts, encoder)], depth=depth)
    raise ValueError(f"first_stage must be 'bm25', 'dense' or 'hybrid', got {kind!r}")


def _as_scorer(scorer: Any, corpus: list[str]) -> Scorer | None:
    if scorer is None or callable(scorer) and not hasattr(scorer, "score") and not hasattr(scorer, "encode") \
            and not hasattr(scorer, "scores"):
        return scorer
    if hasattr(scorer, "scores") and hasattr(scorer, "corpus"):  # a retriever over the same corpus: no re-encoding
        if list(scorer.corpus) != corpus:
            raise ValueError("scorer is a retriever over another corpus than data.docs: build it over the same "
                             "passages, in the same order")
        position = {text: i for i, text in enumerate(corpus)}
        retriever: Any = scorer
        return lambda q, texts: [float(v) for v in retriever.scores(q)[[position[t] for t in texts]]]
    if hasattr(scorer, "score"):  # a Reranker: raw logits
        reranker: Any = scorer
        return lambda q, texts: list(reranker.score([(q, t) for t in texts]))
    encoder: Any = scorer  # a DenseEncoder: cosine similarity

    def cosine(q: str, texts: Sequence[str]) -> list[float]:
        qv = encoder.encode([q], kind="query")[0]
        return [float(v) for v in encoder.encode(list(texts), kind="passage") @ qv]
    return cosine


def mine_hard_negatives(
    data: EvalData,
    first_stage: str | Retriever = "hybrid",
    *,
    rank_window: tuple[int, int] = (3, 50),
    n_negatives: int = 7,
    scorer: Reranker | DenseEncoder | Retriever | Scorer | None = None,
    margin: float = 0.0,
    encoder: DenseEncoder | str | None = None,
    n_examples: int = 10,
    show_progress: bool = True,
) -> tuple[list[TrainExample], MiningReport]:
    """Training examples with mined negatives for every judged query of ``data`` (pass the training part only).

    Args:
        data: Queries, corpus and judgements (e.g. :func:`~rerankkit.training.split.train_part`).
        first_stage: ``"bm25"``, ``"dense"``, ``"hybrid"`` or a retriever over ``data.docs`` in its order.
        rank_window: First and last rank (1-based, inclusive) to take candidates from.
        n_negatives: Negatives per query (the best-ranked candidates that pass the filter).
        scorer: Vetoes false negatives: a :class:`~rerankkit.scoring.Reranker` (raw logits), a dense encoder
            (cosine), a retriever over ``data.docs`` (its ``scores``: a dense one reuses its vectors) or
            ``f(query, texts) -> scores``; None keeps every candidate.
        margin: A candidate scored above ``best positive - margin`` is dropped (in the scorer's units).
        encoder: Dense encoder for ``dense``/``hybrid`` (default: the kit's, see ``load_encoder``).
        n_examples: Dropped candidates kept in the report for reading.
        show_progress: A progress bar over queries.
    """
    import pandas as pd

    lo, hi = rank_window
    check_positive_int(lo, "rank_window[0]")
    check_positive_int(hi, "rank_window[1]")
    if hi < lo:
        raise ValueError(f"rank_window must be (first, last) with first <= last, got {rank_window!r}")
    check_positive_int(n_negatives, "n_negatives")
    ids = list(data.docs)
    texts = [data.docs[d] for d in ids]
    retriever = make_first_stage(first_stage, texts, encoder=encoder, depth=max(hi, 100)) \
        if isinstance(first_stage, str) else first_stage
    if list(retriever.corpus) != texts:
        raise ValueError("first_stage searches another corpus than data.docs: build it over the same passages")
    score = _as_scorer(scorer, texts)
    judged = [q for q in data.queries if any(g > 0 for g in data.qrels.get(q, {}).values())]
    items: Any = judged
    if show_progress:
        from tqdm.auto import tqdm

        items = tqdm(judged, desc=f"Mining hard negatives ({retriever.name})", unit="query")
    examples: list[TrainExample] = []
    dropped_rows: list[dict] = []
    n_candidates = n_dropped = short = 0
    for qid in items:
        query, labels = data.queries[qid], data.qrels[qid]
        positives = [data.docs[d] for d, g in labels.items() if g > 0 and d in data.docs]
        if not positives:
            continue
        pos_set = {p.strip() for p in positives}
        window = [c for c in retriever.retrieve(query, k=hi)[lo - 1:]
                  if labels.get(ids[c.index], 0) <= 0 and c.text.strip() not in pos_set]
        n_candidates += len(window)
        kept = window
        if score is not None and window:
            values = list(score(query, positives + [c.text for c in window]))
            best = max(values[:len(positives)])
            kept = []
            for c, v in zip(window, values[len(positives):]):
                if v > best - margin:
                    n_dropped += 1
                    dropped_rows.append({"qid": qid, "query": query, "positive": positives[0], "candidate": c.text,
                                         "rank": c.rank, "positive_score": best, "candidate_score": float(v)})
                else:
                    kept.append(c)
        negatives = tuple(c.text for c in kept[:n_negatives])
        short += len(negatives) < n_negatives
        examples.append(TrainExample(query=query, pos=tuple(positives), neg=negatives, qid=qid))
    columns = ["qid", "query", "positive", "candidate", "rank", "positive_score", "candidate_score"]
    dropped = pd.DataFrame(dropped_rows, columns=columns)
    if len(dropped):  # the closest calls first: those most likely to be unjudged answers
        dropped = dropped.assign(gap=dropped.positive_score - dropped.candidate_score).sort_values(
            "gap", ascending=True, kind="stable").drop(columns="gap").head(n_examples).reset_index(drop=True)
    report = MiningReport(first_stage=retriever.name, rank_window=(lo, hi), n_queries=len(examples),
                          n_candidates=n_candidates, n_dropped=n_dropped,
                          n_negatives=sum(len(ex.neg) for ex in examples), short_queries=short,
                          margin=None if score is None else margin, dropped=dropped)
    return examples, report
