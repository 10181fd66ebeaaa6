"""What the reranker changes in the context an LLM reads, measured on questions with known answer chunks.

* **context recall**: the share of questions whose context holds at least one answer-bearing chunk;
* **context precision**: the share of the context's chunks that are answer-bearing (averaged over questions);
* **tokens**: context tokens spent per question;
* **added latency**: the time :func:`~rerankkit.rag.rerank.rerank_texts` takes on the K candidates.

:func:`sweep` reranks each question's 100 (the largest K) candidates once, and a chunk that several first
stages found only once, and reads every smaller K from those scores: a cross-encoder scores each pair on its
own, so the order of a top-K subset is the order of their scores. :func:`rerank_latency` times each K separately. :func:`knee` picks the depth where recall stops
paying for the latency it costs.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rerankkit._utils.checks import check_positive_int
from rerankkit.rag.context import Context, pack_context, token_counter
from rerankkit.rag.corpus import RagQuestion
from rerankkit.rag.pipeline import RagPipeline
from rerankkit.rag.rerank import rerank_texts

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["context_recall", "context_precision", "sweep", "rerank_latency", "knee", "DEPTHS", "BUDGETS"]

DEPTHS = (10, 20, 50, 100)
BUDGETS = (512, 1024, 2048)


def context_recall(context: Context, answer_docs: frozenset[str]) -> float:
    """1.0 when the context holds a chunk of an answer document, else 0.0.

    Example:
        >>> from rerankkit.rag.context import pack_context
        >>> ctx = pack_context([("a#0", "Paris is in France.")], budget=50)
        >>> context_recall(ctx, frozenset({"a"})), context_recall(ctx, frozenset({"b"}))
        (1.0, 0.0)
    """
    return float(any(cid.split("#")[0] in answer_docs for cid in context.chunk_ids))


def context_precision(context: Context, answer_docs: frozenset[str]) -> float:
    """The share of the context's chunks that come from an answer document (0.0 for an empty context).

    Example:
        >>> from rerankkit.rag.context import pack_context
        >>> ctx = pack_context([("a#0", "Paris is in France."), ("b#0", "Berlin is in Germany.")], budget=50)
        >>> context_precision(ctx, frozenset({"a"}))
        0.5
    """
    ids = context.chunk_ids
    return sum(cid.split("#")[0] in answer_docs for cid in ids) / len(ids) if ids else 0.0


def _check_grid(values: Sequence[int], name: str) -> list[int]:
    if isinstance(values, (str, bytes)) or not values:
        raise ValueError(f"{name} must be a non-empty list of positive ints, e.g. {list(DEPTHS)}")
    return sorted({check_positive_int(v, name) for v in values})


def sweep(pipeline: RagPipeline, questions: Sequence[RagQuestion], *, stages: Sequence[str] = ("bm25", "dense", "hybrid"),
          depths: Sequence[int] = DEPTHS, budgets: Sequence[int] = BUDGETS, tokenizer: Any = None,
          rerank: bool = True, show_progress: bool = True) -> pd.DataFrame:
    """Context recall, precision and tokens per (stage, K, budget), without and with reranking.

    Returns:
        One row per ``stage, k, budget, reranked``: ``recall``, ``precision``, ``tokens`` (mean per question),
        ``questions``.
    """
    import pandas as pd
    from tqdm.auto import tqdm

    depths, budgets = _check_grid(depths, "depths"), _check_grid(budgets, "budgets")
    if not questions:
        raise ValueError("questions is empty: pass RagQuestion rows (see rerankkit.rag.corpus)")
    if rerank and pipeline.reranker is None:
        raise ValueError("rerank=True needs a pipeline with a reranker")
    deepest = depths[-1]
    count = functools.lru_cache(maxsize=None)(token_counter(tokenizer))  # each chunk is counted once
    records = []
    logits: dict[tuple[str, str], float] = {}  # (question, chunk) -> logit: a chunk two stages found is scored once
    total = len(stages) * len(questions)
    with tqdm(total=total, desc="questions x first stages", disable=not show_progress) as bar:
        for stage in stages:
            for q in questions:
                hits = pipeline.retrieve(q.text, stage=stage, k=deepest)
                if rerank:
                    new = [h for h in hits if (q.id, h.chunk.id) not in logits]
                    if new:
                        for h in pipeline.rerank(q.text, new):
                            logits[(q.id, h.chunk.id)] = h.score
                for k in depths:
                    top = hits[:k]
                    orders = {False: top}
                    if rerank:  # stable: ties keep first-stage order, as rerank_texts does
                        orders[True] = sorted(top, key=lambda h: -logits[(q.id, h.chunk.id)])
                    for reranked, ranked in orders.items():
                        for budget in budgets:
                            ctx = pack_context(ranked, budget=budget, tokenizer=count)
                            records.append({"stage": stage, "k": k, "budget": budget, "reranked": reranked,
                                            "question": q.id, "recall": context_recall(ctx, q.answer_docs),
                                            "precision": context_precision(ctx, q.answer_docs),
                                            "tokens": ctx.n_tokens})
                bar.update(1)
    frame = pd.DataFrame(records)
    return (frame.groupby(["stage", "k", "budget", "reranked"], sort=True)
            .agg(recall=("recall", "mean"), precision=("precision", "mean"), tokens=("tokens", "mean"),
                 questions=("question", "nunique")).reset_index())


def rerank_latency(pipeline: RagPipeline, questions: Sequence[RagQuestion], *, stage: str = "hybrid",
                   depths: Sequence[int] = DEPTHS, repeats: int = 3, show_progress: bool = True) -> pd.DataFrame:
    """The time reranking adds per question at each depth K, measured.

    Each question's K candidates are reranked ``repeats`` times (after one untimed warm-up call per K); the
    median of its repeats is that question's time. Returns one row per K: ``k, median_ms, p95_ms, questions``
    (over questions), with the device and dtype that scored.
    """
    import pandas as pd
    from tqdm.auto import tqdm

    depths = _check_grid(depths, "depths")
    check_positive_int(repeats, "repeats")
    if pipeline.reranker is None:
        raise ValueError("rerank_latency needs a pipeline with a reranker")
    if not questions:
        raise ValueError("questions is empty: pass RagQuestion rows (see rerankkit.rag.corpus)")
    rr = pipeline.reranker
    candidates = {q.id: [h.chunk.text for h in pipeline.retrieve(q.text, stage=stage, k=depths[-1])] for q in questions}
    rows = []
    with tqdm(total=len(depths) * len(questions), desc="timing the rerank step", disable=not show_progress) as bar:
        for k in depths:
            rerank_texts(rr, questions[0].text, candidates[questions[0].id][:k])  # warm-up: first-call costs
            per_question = []
            for q in questions:
                times = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    rerank_texts(rr, q.text, candidates[q.id][:k])
                    times.append(time.perf_counter() - started)
                per_question.append(float(np.median(times)) * 1000)
                bar.update(1)
            rows.append({"k": k, "median_ms": float(np.median(per_question)),
                         "p95_ms": float(np.percentile(per_question, 95)), "questions": len(per_question),
                         "device": rr.info.device, "dtype": rr.info.dtype})
    return pd.DataFrame(rows)


def knee(depths: Sequence[int], recall: Sequence[float], latency_ms: Sequence[float]) -> int:
    """The depth K where recall stops paying for latency: the largest gap between recall and latency, each
    scaled to [0, 1] over the depths tried (the "Kneedle" rule of Satopää et al., 2011, on two measured axes).
    When recall does not change with K, the cheapest depth.

    Example:
        >>> knee([10, 20, 50, 100], [0.60, 0.80, 0.84, 0.85], [5.0, 9.0, 21.0, 40.0])
        20
        >>> knee([10, 20], [0.5, 0.5], [1.0, 2.0])
        10
    """
    k = np.asarray(depths, dtype=float)
    r = np.asarray(recall, dtype=float)
    t = np.asarray(latency_ms, dtype=float)
    if not (k.size == r.size == t.size) or k.size == 0:
        raise ValueError("depths, recall and latency_ms must be non-empty and of one length")
    order = np.argsort(t, kind="stable")
    k, r, t = k[order], r[order], t[order]
    if np.ptp(r) == 0:
        return int(k[0])
    r_scaled = (r - r.min()) / np.ptp(r)
    t_scaled = (t - t.min()) / np.ptp(t) if np.ptp(t) > 0 else np.zeros_like(t)
    return int(k[int(np.argmax(r_scaled - t_scaled))])
