"""Cross-encoder against bi-encoder: what each model sees, and what each costs, measured.

A **cross-encoder** (a reranker) reads the query and the passage together, as one sequence,
so every query token can attend to every passage token; it needs one forward pass per
(query, passage) pair, at query time. A **bi-encoder** reads each text alone and compares
two vectors; passage vectors can be computed once, ahead of time, so a query costs one
forward pass plus a matrix product.

:func:`cost_comparison` measures both on the *same* network: the reranker's transformer,
used once as a cross-encoder and once, mean-pooled, as a bi-encoder. That keeps the cost
like-for-like; the bi-encoder's similarities are meaningless here, because the network was
not trained to embed texts alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from rerankkit._utils.checks import check_positive_int, validate_pairs
from rerankkit.measure.timing import median_seconds

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.scoring.reranker import Reranker

__all__ = ["inputs_seen", "cost_comparison"]


def inputs_seen(reranker: Reranker, query: str, passage: str) -> dict[str, list[str]]:
    """The token sequences each architecture feeds its transformer for one pair.

    Returns:
        ``{"cross-encoder": [...], "bi-encoder (query)": [...], "bi-encoder (passage)": [...]}``,
        tokens as the tokenizer spells them, special tokens included.

    Example:
        >>> import rerankkit
        >>> rr = rerankkit.load("tiny-random")
        >>> seen = inputs_seen(rr, "capital of France?", "Paris.")
        >>> seen["cross-encoder"][0], seen["cross-encoder"][-1], seen["bi-encoder (query)"][-1]
        ('<s>', '</s>', '</s>')
        >>> len(seen["cross-encoder"]) > len(seen["bi-encoder (query)"]) + len(seen["bi-encoder (passage)"]) - 2
        True
    """
    (pair,), _ = validate_pairs(query, [passage])
    tok = reranker.tokenizer
    ids = reranker.encode([pair]).input_ids[0]
    alone = tok(list(pair), truncation=True, max_length=reranker.info.max_length)["input_ids"]
    return {
        "cross-encoder": tok.convert_ids_to_tokens(ids),
        "bi-encoder (query)": tok.convert_ids_to_tokens(alone[0]),
        "bi-encoder (passage)": tok.convert_ids_to_tokens(alone[1]),
    }


def _embed(reranker: Reranker, texts: Sequence[str], batch_size: int) -> np.ndarray:
    """Mean-pooled last hidden states of the reranker's transformer, each text alone."""
    import torch

    tok, backbone = reranker.tokenizer, reranker.model.base_model
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tok(list(texts[start : start + batch_size]), padding=True, truncation=True,
                        max_length=reranker.info.max_length, return_tensors="pt").to(reranker.model.device)
            hidden = backbone(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            out.append(((hidden * mask).sum(1) / mask.sum(1)).float().cpu().numpy())
    return np.concatenate(out)


def cost_comparison(
    reranker: Reranker, query: str, passages: Sequence[str], *, repeats: int = 3, batch_size: int | None = None
) -> pd.DataFrame:
    """Measure one query against N passages, as a cross-encoder and as a bi-encoder.

    Args:
        reranker: A loaded (encoder) reranker; its transformer is used for both architectures.
        query: The query.
        passages: The N candidate passages.
        repeats: Timed runs per stage (after one warm-up); the median is reported.
        batch_size: Texts per forward pass (default: the reranker's).

    Returns:
        A DataFrame with one row per stage: ``architecture``, ``stage`` (``per query`` or
        ``once, ahead of time``), ``texts_encoded`` (sequences through the transformer),
        ``tokens`` (real tokens in them) and ``seconds`` (median wall time on this machine).

    Example:
        >>> import rerankkit
        >>> rr = rerankkit.load("tiny-random")
        >>> frame = cost_comparison(rr, "capital of France?", ["Paris.", "Berlin.", "Rome."], repeats=1)
        >>> frame.texts_encoded.tolist()
        [3, 3, 1]
    """
    pairs, _ = validate_pairs(query, passages)
    check_positive_int(repeats, "repeats")
    if reranker.info.kind != "encoder":
        raise ValueError(f"cost_comparison needs an encoder (cross-encoder) reranker; {reranker.info.model_id} is "
                         f"a {reranker.info.kind} reranker")
    import pandas as pd

    batch_size = batch_size or reranker.batch_size
    texts = [p for _, p in pairs]
    encoded = reranker.encode(pairs)
    alone = reranker.tokenizer(texts + [query], truncation=True, max_length=reranker.info.max_length)["input_ids"]
    passage_tokens = sum(len(ids) for ids in alone[:-1])
    index = _embed(reranker, texts, batch_size)

    def cross() -> None:
        reranker.forward(encoded.input_ids, batch_size=batch_size, show_progress=False)

    def bi_index() -> None:
        _embed(reranker, texts, batch_size)

    def bi_query() -> None:
        index @ _embed(reranker, [query], batch_size)[0]

    return pd.DataFrame(
        [
            {"architecture": "cross-encoder", "stage": "per query", "texts_encoded": len(pairs),
             "tokens": int(encoded.n_tokens.sum()), "seconds": median_seconds(cross, repeats=repeats)},
            {"architecture": "bi-encoder", "stage": "once, ahead of time", "texts_encoded": len(texts),
             "tokens": passage_tokens, "seconds": median_seconds(bi_index, repeats=repeats)},
            {"architecture": "bi-encoder", "stage": "per query", "texts_encoded": 1,
             "tokens": len(alone[-1]), "seconds": median_seconds(bi_query, repeats=repeats)},
        ]
    )
