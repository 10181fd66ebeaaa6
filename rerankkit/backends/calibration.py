"""Calibration pairs for static int8: query-passage pairs from the packaged case sets.

Static quantization fixes each activation's int8 range ahead of time, from a few real inputs.
They come from :mod:`rerankkit.cases` (every set, every role, several languages), never from the
pairs a benchmark times, so a measured speed or agreement is not tuned to its own inputs.

Example:
    >>> pairs = calibration_pairs(8)
    >>> len(pairs), all(isinstance(q, str) and isinstance(p, str) for q, p in pairs)
    (8, True)
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from rerankkit import cases
from rerankkit._utils.checks import check_positive_int

__all__ = ["CALIBRATION_SIZE", "calibration_pairs", "calibration_inputs", "calibration_key"]

# Pairs fed to the calibration: enough to settle the activation ranges, few enough to build in minutes.
CALIBRATION_SIZE = 96
# Per cross-lingual case, passages kept (that set expands to tens of thousands of pairs).
_CROSS_LINGUAL_PASSAGES = 3
_MAX_JOINED = 4


def calibration_pairs(n: int = CALIBRATION_SIZE) -> list[tuple[str, str]]:
    """``n`` (query, passage) pairs spread evenly over every packaged case set.

    A passage is one of the case's passages or a run of up to four of them joined, so the pairs'
    lengths range from a few dozen to a few hundred tokens, as in real use.

    The same ``n`` always gives the same pairs (no randomness), so a cached build can be remade.

    Example:
        >>> calibration_pairs(2) == calibration_pairs(2)
        True
    """
    check_positive_int(n, "n")
    per_set: list[list[tuple[str, str]]] = []
    for name in cases.names():
        pool: list[tuple[str, str]] = []
        for case in cases.load(name):
            passages = case.passages[:_CROSS_LINGUAL_PASSAGES] if name == "cross_lingual" else case.passages
            texts = [p.text for p in passages]
            # Passages of one case joined in runs of 1 to _MAX_JOINED: pairs as long as real ones, so the
            # ranges cover late positions and long attention rows too.
            pool.extend((case.query, " ".join(texts[j:j + 1 + len(pool) % _MAX_JOINED])) for j in range(len(texts)))
        per_set.append(pool)
    # Even shares per set (a larger set gives its spare share to the others), evenly spaced within each set.
    out: list[tuple[str, str]] = []
    remaining = n
    for i, pool in enumerate(sorted(per_set, key=len)):
        share = min(len(pool), remaining // (len(per_set) - i))
        picks = np.linspace(0, len(pool) - 1, share).round().astype(int) if share else []
        out.extend(pool[j] for j in picks)
        remaining -= share
    if len(out) < n:
        raise ValueError(f"n={n}: the case sets hold only {len(out)} calibration pairs; use n <= {len(out)}")
    return out


def calibration_key(n: int = CALIBRATION_SIZE, **settings: Any) -> str:
    """A short id of the calibration pairs and the build settings, so a cached build follows changes to either.

    Example:
        >>> calibration_key(8) == calibration_key(8) != calibration_key(8, preset="mixed")
        True
    """
    text = json.dumps([calibration_pairs(n), sorted(settings.items())], ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def calibration_inputs(tokenizer: Any, n: int = CALIBRATION_SIZE, max_length: int = 512) -> list[dict[str, np.ndarray]]:
    """Calibration pairs tokenized one per item (``input_ids``, ``attention_mask``, int64, shape 1 x tokens)."""
    items = []
    for query, passage in calibration_pairs(n):
        encoded = tokenizer(query, passage, truncation="only_second", max_length=max_length, return_tensors="np")
        items.append({k: np.ascontiguousarray(encoded[k].astype(np.int64)) for k in ("input_ids", "attention_mask")})
    return items
