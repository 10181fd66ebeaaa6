"""What the RAG budget explorer shows, as plain functions: one question's context coloured by answer-bearing
chunks, and the measured figures of one setting (stage, K, budget).

Example:
    >>> from rerankkit.rag.context import pack_context
    >>> ctx = pack_context([("a#0", "Paris is in France."), ("b#0", "Berlin.")], budget=50)
    >>> "rk-answer" in context_html(ctx, frozenset({"a"}))
    True
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from rerankkit.display.style import styled
from rerankkit.rag.context import Context

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["context_html", "setting_figures"]

_ANSWER = "background:#e8f5e9;border-left:4px solid #2e7d32"
_OTHER = "background:#f5f5f5;border-left:4px solid #bdbdbd"


def context_html(context: Context, answer_docs: frozenset[str]) -> str:
    """The context as the LLM reads it, one box per chunk: green when answer-bearing, grey otherwise."""
    boxes = []
    for c in context.chunks:
        answer = c.chunk_id.split("#")[0] in answer_docs
        score = "" if c.score is None else f" · score {c.score:+.3f}"
        boxes.append(
            f"<div class='{'rk-answer' if answer else 'rk-other'}' style='{_ANSWER if answer else _OTHER};"
            f"padding:4px 8px;margin:4px 0'><b>[{c.number}]</b> <span style='color:#666'>{html.escape(c.citation)}"
            f" · rank {c.rank}{score} · {c.n_tokens} tokens{' · answer-bearing' if answer else ''}</span><br>"
            f"{html.escape(c.text)}</div>")
    head = (f"<div class='rk-status'>{len(context.chunks)} chunks, {context.n_tokens} of {context.budget} tokens"
            f" · order: {context.order} · {len(context.dropped_over_budget)} left out by the budget"
            f" · {len(context.dropped_duplicates)} near-duplicates dropped</div>")
    return styled(head + ("".join(boxes) or "<div>(empty context)</div>"))


def setting_figures(sweep: pd.DataFrame, latency: pd.DataFrame | None, *, stage: str, k: int, budget: int
                    ) -> pd.DataFrame:
    """The sweep's rows for one setting, without and with reranking, and the measured added latency at K.

    Args:
        sweep: :func:`rerankkit.rag.evaluate.sweep`'s frame.
        latency: :func:`rerankkit.rag.evaluate.rerank_latency`'s frame (or None).
    """
    rows = sweep[(sweep.stage == stage) & (sweep.k == k) & (sweep.budget == budget)].copy()
    if rows.empty:
        raise ValueError(f"the sweep has no row for stage={stage!r}, k={k}, budget={budget}: run sweep() with them")
    rows["added_latency_median_ms"] = 0.0
    rows["added_latency_p95_ms"] = 0.0
    if latency is not None and k in set(latency.k):
        lat = latency[latency.k == k].iloc[0]
        rows.loc[rows.reranked, "added_latency_median_ms"] = lat.median_ms
        rows.loc[rows.reranked, "added_latency_p95_ms"] = lat.p95_ms
    return rows[["reranked", "recall", "precision", "tokens", "added_latency_median_ms", "added_latency_p95_ms",
                 "questions"]].reset_index(drop=True)
