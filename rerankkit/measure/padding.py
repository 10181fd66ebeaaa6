"""What batching costs: padding per batch, counted on the real tokenizer.

A batch is padded to its longest pair, so every shorter pair in it carries pad tokens the
model still runs through. Sorting pairs by length before cutting them into batches (as
:meth:`Reranker.forward <rerankkit.scoring.reranker.Reranker.forward>` does) puts similar lengths
together and removes most of that padding. These functions count it on the real tokenizer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from rerankkit._utils.checks import check_positive_int, validate_pairs

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.scoring.reranker import Reranker

__all__ = ["padded_tokens", "padding_table", "padding_report"]


def padded_tokens(lengths: Sequence[int] | np.ndarray, batch_size: int, *, sort: bool) -> int:
    """Tokens the model processes when pairs of these lengths are cut into padded batches.

    Args:
        lengths: Tokens per pair, in input order.
        batch_size: Pairs per batch.
        sort: Sort by length (longest first) before batching, as the reranker does.

    Example:
        >>> padded_tokens([2, 9, 3, 8], batch_size=2, sort=False)   # batches (2, 9) and (3, 8)
        34
        >>> padded_tokens([2, 9, 3, 8], batch_size=2, sort=True)    # batches (9, 8) and (3, 2)
        24
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.ndim != 1 or len(lengths) == 0:
        raise ValueError("lengths must be a non-empty 1-D sequence of token counts")
    if sort:
        lengths = np.sort(lengths)[::-1]
    total = 0
    for start in range(0, len(lengths), batch_size):
        batch = lengths[start : start + batch_size]
        total += int(batch.max()) * len(batch)
    return total


def padding_report(
    reranker: Reranker,
    query_or_pairs: str | Sequence[tuple[str, str]],
    passages: Sequence[str] | None = None,
    *,
    batch_sizes: Sequence[int] = (1, 4, 8, 16, 32, 64),
    max_length: int | None = None,
) -> pd.DataFrame:
    """Count real and padded tokens for unsorted and length-sorted batching, per batch size.

    Pairs are tokenized with :meth:`Reranker.encode <rerankkit.scoring.reranker.Reranker.encode>`, so
    the lengths are exactly those the model would see (after truncation to ``max_length``).

    Args:
        reranker: A loaded reranker (its tokenizer is used; the model is not run).
        query_or_pairs: A query (with ``passages``) or a list of ``(query, passage)`` pairs.
        passages: Passages for the query.
        batch_sizes: Batch sizes to compare.
        max_length: Tokens per pair kept (default: the reranker's).

    Returns:
        A tidy DataFrame, one row per (batch size, order): ``batch_size``, ``order``
        (``input order`` or ``length-sorted``), ``real_tokens``, ``processed_tokens``,
        ``padding_tokens`` and ``padding_share`` (padding / processed).

    Example:
        >>> import rerankkit
        >>> rr = rerankkit.load("tiny-random")
        >>> texts = ["short", "a much longer passage than the first", "tiny", "another long passage, as long"]
        >>> frame = padding_report(rr, "q", texts, batch_sizes=[2]).set_index("order")
        >>> bool(frame.padding_tokens["length-sorted"] < frame.padding_tokens["input order"])
        True
    """
    pairs, _ = validate_pairs(query_or_pairs, passages)
    return padding_table(reranker.encode(pairs, max_length=max_length).n_tokens, batch_sizes)


def padding_table(lengths: Sequence[int] | np.ndarray, batch_sizes: Sequence[int] = (1, 4, 8, 16, 32, 64)) -> pd.DataFrame:
    """Real and padded tokens for unsorted and length-sorted batching of pairs of these lengths.

    Args:
        lengths: Tokens per pair, in input order (e.g. ``rr.encode(pairs).n_tokens``).
        batch_sizes: Batch sizes to compare.

    Returns:
        The DataFrame described in :func:`padding_report` (input of :func:`rerankkit.display.plots.plot_padding`).

    Example:
        >>> padding_table([2, 9, 3, 8], batch_sizes=[2])[["order", "processed_tokens", "padding_tokens"]]
                   order  processed_tokens  padding_tokens
        0    input order                34              12
        1  length-sorted                24               2
    """
    import pandas as pd

    sizes = [check_positive_int(b, "batch_size") for b in batch_sizes]
    if not sizes:
        raise ValueError("batch_sizes is empty: pass at least one batch size")
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.ndim != 1 or len(lengths) == 0:
        raise ValueError("lengths must be a non-empty 1-D sequence of token counts")
    real = int(lengths.sum())
    rows = []
    for size in sizes:
        for order, sort in (("input order", False), ("length-sorted", True)):
            processed = padded_tokens(lengths, size, sort=sort)
            rows.append(
                {
                    "batch_size": size,
                    "order": order,
                    "real_tokens": real,
                    "processed_tokens": processed,
                    "padding_tokens": processed - real,
                    "padding_share": (processed - real) / processed,
                }
            )
    return pd.DataFrame(rows)
