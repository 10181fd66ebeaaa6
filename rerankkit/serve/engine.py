"""Scoring many requests in one pass: tokenize all, refuse what breaks a limit, sort by length, score, split.

This is the part of the service that knows the model; it runs without Ray or HTTP, so plain tests cover it.

Example:
    >>> import rerankkit
    >>> rr = rerankkit.load("tiny-random")
    >>> results = score_jobs(rr, [Job("q", ["a", "b"]), Job("q", ["c"])], Limits())
    >>> [len(r.logits) for r in results], [r.error for r in results]
    ([2, 1], [None, None])
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rerankkit.errors import TruncationWarning
from rerankkit.scoring import Reranker
from rerankkit.serve.schemas import Limits

__all__ = ["Job", "Scored", "ServeError", "score_jobs"]


@dataclass(frozen=True)
class Job:
    """One request's work: a query, its texts, whether long pairs may be cut, and the field the texts came in."""

    query: str
    texts: Sequence[str]
    truncate: bool = True
    field: str = "texts"

    @property
    def n_pairs(self) -> int:
        return len(self.texts)


class ServeError(Exception):
    """A request the service refuses: its HTTP status, the field at fault and the limit it broke."""

    def __init__(self, status: int, message: str, *, error_type: str, field: str | None = None,
                 limit: int | float | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.error_type, self.field, self.limit = status, message, error_type, field, limit

    def body(self) -> dict:
        """The JSON body (the service's ErrorBody)."""
        return {"error": self.message, "error_type": self.error_type, "field": self.field, "limit": self.limit}


@dataclass(frozen=True)
class Scored:
    """One request's answer: raw logits in input order and its token count, or the error that refused it."""

    logits: np.ndarray | None
    n_tokens: int
    error: ServeError | None = None


def _check(job: Job, n_tokens: np.ndarray, n_cut: np.ndarray, max_length: int, limits: Limits) -> ServeError | None:
    if not job.truncate and (cut := np.flatnonzero(n_cut > 0)).size:
        i = int(cut[0])
        return ServeError(
            413, f"{job.field}[{i}]: the pair of query and text has {int(n_tokens[i] + n_cut[i])} tokens, over the "
                 f"model's max_length of {max_length}: send truncate: true to cut it, or shorten the text",
            error_type="too_large", field=f"{job.field}[{i}]", limit=max_length)
    total = int(n_tokens.sum())
    if total > limits.max_request_tokens:
        return ServeError(
            413, f"{job.field}: the pairs of this request hold {total} tokens, over the limit of "
                 f"{limits.max_request_tokens} per request: send fewer or shorter texts, in several requests",
            error_type="too_large", field=job.field, limit=limits.max_request_tokens)
    return None


def score_jobs(rr: Reranker, jobs: Sequence[Job], limits: Limits) -> list[Scored]:
    """Score the pairs of many requests together and give each request its own logits back.

    All pairs are tokenized in one call; requests over a token limit get a :class:`ServeError` instead of
    scores; the rest are scored in one :meth:`Reranker.forward` call, which sorts every pair by length
    across requests and cuts batches by the reranker's token budget (``max_batch_tokens``). Decoder
    rerankers are scored through :meth:`Reranker.score`, which runs their own prompt and batching.
    """
    pairs = [(job.query, text) for job in jobs for text in job.texts]
    bounds = np.cumsum([0, *(job.n_pairs for job in jobs)])
    encoded = rr.encode(pairs)
    errors = [_check(job, encoded.n_tokens[a:b], encoded.n_cut[a:b], encoded.max_length, limits)
              for job, a, b in zip(jobs, bounds[:-1], bounds[1:])]
    keep = [i for i, error in enumerate(errors) if error is None]
    rows = np.concatenate([np.arange(bounds[i], bounds[i + 1]) for i in keep]) if keep else np.arange(0)
    logits = np.full(len(pairs), np.nan)
    if rows.size:
        if rr.info.kind == "encoder":
            logits[rows] = rr.forward([encoded.input_ids[r] for r in rows], show_progress=False)
        else:
            with warnings.catch_warnings():  # cut pairs were allowed (truncate) or refused above
                warnings.simplefilter("ignore", TruncationWarning)
                logits[rows] = rr.score([pairs[r] for r in rows], show_progress=False)
        bad = rows[~np.isfinite(logits[rows])]
        if bad.size:
            raise FloatingPointError(f"the model returned a non-finite logit for {bad.size} pairs: the weights or "
                                     "the dtype overflowed; restart the service with dtype fp32")
    return [Scored(logits=None, n_tokens=int(encoded.n_tokens[a:b].sum()), error=error) if error is not None
            else Scored(logits=logits[a:b].copy(), n_tokens=int(encoded.n_tokens[a:b].sum()))
            for error, a, b in zip(errors, bounds[:-1], bounds[1:])]
