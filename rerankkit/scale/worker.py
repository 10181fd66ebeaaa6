"""The scoring actor: loads the reranker once, then scores every batch Ray Data hands it.

A batch that raises is scored once more; if it fails again, each of its pairs is scored alone, so a
pair that keeps failing gets its own ``error`` and the rest of the batch still gets scores. A worker
process that dies is Ray's business: the actor is restarted and the unfinished batch is sent again.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from rerankkit.scale.inputs import check_rows

__all__ = ["PairScorer", "OUTPUT_COLUMNS"]

# Columns the scorer adds to every row.
OUTPUT_COLUMNS = ("logit", "n_cut", "error")


class PairScorer:
    """Callable class for ``Dataset.map_batches``: one reranker per actor, raw logits out.

    Args:
        model: Model spec for :func:`rerankkit.load` (``tiny-random``, a hub id or a folder).
        device: ``auto``, ``cpu``, ``cuda`` ... for this actor.
        dtype: ``auto``, ``fp32``, ``fp16`` or ``bf16``.
        max_length: Tokens per pair (default: the model's default).
        batch_size: Pairs per forward pass.
        threads: torch CPU threads in this actor (Ray sets one per reserved CPU; None keeps that).
        keep_text: Keep ``query`` and ``passage`` in the output rows.
        retries: Times a failing batch is scored again before its pairs are scored one by one.

    Example:
        >>> import pandas as pd
        >>> scorer = PairScorer("tiny-random", batch_size=4)
        >>> out = scorer(pd.DataFrame({"row_id": [0, 1], "query": ["q", "q"], "passage": ["p", " "]}))
        >>> out.error.tolist()
        [None, 'passage is empty']
    """

    def __init__(
        self,
        model: str,
        *,
        device: str = "auto",
        dtype: str = "auto",
        max_length: int | None = None,
        batch_size: int = 32,
        threads: int | None = None,
        keep_text: bool = True,
        retries: int = 1,
    ) -> None:
        import torch

        from rerankkit.scoring.loading import load

        if threads:
            torch.set_num_threads(threads)
        self.reranker = load(model, device=device, dtype=dtype, max_length=max_length, batch_size=batch_size)
        self.batch_size = batch_size
        self.keep_text = keep_text
        self.retries = retries
        self.pid = os.getpid()

    def _score(self, pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        rr = self.reranker
        encoded = rr.encode(pairs)
        if rr.info.kind == "encoder" and "," not in rr.info.device:
            logits = rr.forward(encoded.input_ids, batch_size=self.batch_size, show_progress=False)
        else:  # decoder rerankers go through FlagEmbedding's own scoring, as Reranker.score does
            logits = np.asarray(rr.score(pairs, batch_size=self.batch_size, show_progress=False), dtype=np.float64)
        return logits, encoded.n_cut

    def _score_robustly(self, pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
        for _ in range(1 + self.retries):
            try:
                logits, n_cut = self._score(pairs)
                return logits, n_cut, [None] * len(pairs)
            except Exception:  # noqa: BLE001 - any failure is retried, then isolated pair by pair below
                continue
        logits = np.full(len(pairs), np.nan)
        n_cut = np.zeros(len(pairs), dtype=np.int64)
        errors: list[str | None] = [None] * len(pairs)
        for i, pair in enumerate(pairs):
            try:
                one, cut = self._score([pair])
                logits[i], n_cut[i] = one[0], cut[0]
            except Exception as exc:  # noqa: BLE001 - the reason goes to the error file
                errors[i] = f"scoring failed: {type(exc).__name__}: {exc}"
        return logits, n_cut, errors

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        frame = check_rows(batch)
        ok = np.flatnonzero(frame["error"].isna().to_numpy())
        logits = np.full(len(frame), np.nan)
        n_cut = np.zeros(len(frame), dtype=np.int64)
        errors = frame["error"].tolist()
        if len(ok):
            pairs = list(zip(frame["query"].iloc[ok], frame["passage"].iloc[ok]))
            got, cut, failed = self._score_robustly(pairs)
            logits[ok], n_cut[ok] = got, cut
            for i, reason in zip(ok, failed):
                errors[i] = reason
        if not self.keep_text:
            frame = frame.drop(columns=["query", "passage"])
        frame["logit"] = logits
        frame["n_cut"] = n_cut
        frame["error"] = pd.Series(errors, index=frame.index, dtype=object)
        return frame
