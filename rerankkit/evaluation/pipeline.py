"""Retrieve, then rerank: a first stage (BM25 or dense) picks candidates, the cross-encoder reorders them.

Example:
    >>> import rerankkit
    >>> from rerankkit import cases
    >>> rr = rerankkit.load("tiny-random")
    >>> result = retrieve_then_rerank(cases.load("keyword_traps")[:3], rr, top_n=5)
    >>> result.shift.groupby("query_id").size().tolist()
    [5, 5, 5]
    >>> list(result.summary(ks=(1,)).index)
    ['bm25', 'bm25 → rerank']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from rerankkit._utils.checks import check_positive_int
from rerankkit.evaluation.metrics import mean_metrics, per_query_metrics, qrels_from_cases, rank_shift

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.cases import Case, Passage
    from rerankkit.retrieval import DenseEncoder
    from rerankkit.scoring.reranker import Reranker

__all__ = ["retrieve_then_rerank", "PipelineResult", "compare_stages", "edit_passage", "make_retriever"]


def make_retriever(kind: str, corpus: Sequence[str], encoder: DenseEncoder | str | None = None):
    """A first-stage retriever over ``corpus``: ``"bm25"`` or ``"dense"``."""
    from rerankkit.retrieval import BM25Retriever, DenseRetriever

    if kind == "bm25":
        return BM25Retriever(corpus)
    if kind == "dense":
        return DenseRetriever(corpus, encoder)
    raise ValueError(f"first_stage must be 'bm25' or 'dense', got {kind!r}")


@dataclass(frozen=True)
class PipelineResult:
    """Candidates of every query before and after reranking, with their labels.

    Attributes:
        shift: The rank-shift table of all queries (see :func:`rerankkit.evaluation.metrics.rank_shift`).
        qrels: Every query's grades by passage uid (relevant passages the first stage missed included).
        first_stage: ``bm25`` or ``dense``.
        top_n: Candidates per query handed to the reranker.
        model_label: The reranker (with the random-weights warning when it applies).
        random_weights: Whether the reranker's (or encoder's) scores mean nothing.
    """

    shift: pd.DataFrame
    qrels: dict[str, dict[str, int]]
    first_stage: str
    top_n: int
    model_label: str
    random_weights: bool

    @property
    def stages(self) -> tuple[str, str]:
        """Stage names: the first stage, then the first stage followed by the reranker."""
        return self.first_stage, f"{self.first_stage} → rerank"

    def runs(self) -> dict[str, dict[str, list[str]]]:
        """``{stage: {query id: passage uids, best first}}``."""
        first, second = self.stages
        out: dict[str, dict[str, list[str]]] = {first: {}, second: {}}
        for query_id, group in self.shift.groupby("query_id", sort=False):
            out[first][query_id] = group.sort_values("first_rank")["passage_id"].tolist()
            out[second][query_id] = group.sort_values("rerank_rank")["passage_id"].tolist()
        return out

    def metrics(self, ks: Sequence[int] = (1, 3, 10), rel: int = 1) -> pd.DataFrame:
        """Per-query nDCG@k, MRR@k and Recall@k of both stages (tidy frame)."""
        return per_query_metrics(self.qrels, self.runs(), ks=ks, rel=rel)

    def summary(self, ks: Sequence[int] = (1, 3, 10), rel: int = 1) -> pd.DataFrame:
        """Mean of each metric over queries, one row per stage."""
        return mean_metrics(self.metrics(ks=ks, rel=rel))


def _pooled(cases: Sequence[Case]) -> list[Passage]:
    seen: dict[str, Passage] = {}
    for case in cases:
        for p in case.passages:
            seen.setdefault(p.uid, p)
    return list(seen.values())


def retrieve_then_rerank(
    cases: Sequence[Case],
    reranker: Reranker,
    *,
    first_stage: Literal["bm25", "dense"] = "bm25",
    encoder: DenseEncoder | str | None = None,
    top_n: int = 20,
    corpus: Literal["pooled", "case"] = "pooled",
) -> PipelineResult:
    """Run the first stage for every case's query, rerank its top ``top_n``, and record both orders.

    Args:
        cases: Labelled cases (a :class:`~rerankkit.cases.CaseSet` or a slice of one).
        reranker: A loaded :class:`~rerankkit.scoring.reranker.Reranker`.
        first_stage: ``"bm25"`` or ``"dense"``.
        encoder: For ``dense``: a :class:`~rerankkit.retrieval.DenseEncoder` or a spec for
            :func:`~rerankkit.retrieval.load_encoder`.
        top_n: Candidates per query passed to the reranker.
        corpus: ``"pooled"`` searches every passage of every case (a passage from another case
            counts as not relevant); ``"case"`` searches only the query's own passages.
    """
    import pandas as pd

    cases = list(cases)
    if not cases:
        raise ValueError("cases is empty: pass a case set or a non-empty slice of one")
    check_positive_int(top_n, "top_n")
    if corpus not in ("pooled", "case"):
        raise ValueError(f"corpus must be 'pooled' or 'case', got {corpus!r}")
    qrels = qrels_from_cases(cases)
    if first_stage == "dense" and not hasattr(encoder, "encode"):
        from rerankkit.retrieval import load_encoder

        encoder = load_encoder(encoder)  # load once, not per case
    pool = _pooled(cases) if corpus == "pooled" else None
    retriever = make_retriever(first_stage, [p.text for p in pool], encoder) if pool is not None else None
    tables = []
    for case in cases:
        passages = pool if pool is not None else list(case.passages)
        search = retriever or make_retriever(first_stage, [p.text for p in passages], encoder)
        candidates = search.retrieve(case.query, k=top_n)
        ranking = reranker.rerank(case.query, [c.text for c in candidates])
        tables.append(rank_shift(candidates, ranking, passages, qrels=qrels[case.id], query_id=case.id,
                                 first_stage=first_stage))
    random_weights = reranker.info.random_weights or bool(
        first_stage == "dense" and getattr(getattr(encoder, "info", None), "random_weights", False)
    )
    return PipelineResult(shift=pd.concat(tables, ignore_index=True), qrels=qrels, first_stage=first_stage,
                          top_n=top_n, model_label=reranker.info.label, random_weights=random_weights)


def compare_stages(
    query: str,
    passages: Sequence[Passage],
    reranker: Reranker,
    *,
    encoder: DenseEncoder | str | None = None,
) -> pd.DataFrame:
    """BM25, dense and reranker rankings of the same passages, side by side with their labels.

    Args:
        query: The query.
        passages: Labelled passages (e.g. ``case.passages``, possibly with an edited text).
        reranker: The cross-encoder.
        encoder: Dense encoder or spec; ``None`` uses :func:`~rerankkit.retrieval.load_encoder`'s default.

    Returns:
        One row per passage in input order: ``passage_id, text, relevance, role, trap``, then
        ``bm25_rank, bm25_score, dense_rank, dense_score, rerank_rank, rerank_logit, rerank_score``.
    """
    import pandas as pd

    from rerankkit.retrieval import BM25Retriever, DenseRetriever

    passages = list(passages)
    if not passages:
        raise ValueError("passages is empty: pass at least one labelled passage")
    texts = [p.text for p in passages]
    frame = pd.DataFrame({
        "passage_id": [p.id for p in passages], "text": texts, "relevance": [p.relevance for p in passages],
        "role": [p.role for p in passages], "trap": [p.trap for p in passages],
    })
    for name, retriever in (("bm25", BM25Retriever(texts)), ("dense", DenseRetriever(texts, encoder))):
        for c in retriever.retrieve(query):
            frame.loc[c.index, f"{name}_rank"] = c.rank
            frame.loc[c.index, f"{name}_score"] = c.score
    for row in reranker.rerank(query, texts):
        frame.loc[row.index, "rerank_rank"] = row.rank
        frame.loc[row.index, "rerank_logit"] = row.logit
        frame.loc[row.index, "rerank_score"] = row.score
        frame.loc[row.index, "rerank_cut"] = row.n_cut if row.truncated else 0  # passage tokens max_length cut
    frame["rerank_cut"] = frame["rerank_cut"].astype(int)
    for name in ("bm25", "dense", "rerank"):
        frame[f"{name}_rank"] = frame[f"{name}_rank"].astype(int)
    return frame


def edit_passage(passages: Sequence[Passage], passage_id: str, text: str) -> list[Passage]:
    """A copy of ``passages`` with one passage's text replaced (labels kept), for what-if re-scoring."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"the new text of passage {passage_id!r} is empty: type some text")
    ids = [p.id for p in passages]
    if passage_id not in ids:
        raise KeyError(f"no passage {passage_id!r}; choose one of {ids}")
    return [replace(p, text=text) if p.id == passage_id else p for p in passages]
