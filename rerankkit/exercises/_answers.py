"""Answer shapes shared by the exercises: sets of indices, lists of numbers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from rerankkit.exercises.core import AnswerError

__all__ = ["index_set", "numbers"]


def index_set(answer: Any) -> set[int]:
    """The answer as a set of input indices (any order; a single int counts as one)."""
    if isinstance(answer, (int, np.integer)) and not isinstance(answer, bool):
        return {int(answer)}
    if isinstance(answer, (str, bytes)) or not isinstance(answer, Iterable):
        raise AnswerError(f"the answer should be a list of input indices such as [0, 2], got {answer!r}.")
    out = set()
    for item in answer:
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)):
            raise AnswerError(f"the answer should hold input indices (ints), but it holds {item!r}.")
        out.add(int(item))
    return out


def numbers(values: Any, name: str) -> np.ndarray:
    """``values`` as a 1-D float array, or a ValueError naming the input."""
    arr = np.asarray(values, dtype=np.float64).ravel()
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a non-empty list of finite numbers")
    return arr
