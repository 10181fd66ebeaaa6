"""Argument checks shared by every layer: each error names the argument, the index and the remedy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, overload

__all__ = ["check_positive_int", "check_flag", "check_text", "check_passages", "validate_pairs", "describe"]


@overload
def check_positive_int(value: object, name: str, *, allow_none: Literal[False] = ...) -> int: ...
@overload
def check_positive_int(value: object, name: str, *, allow_none: bool) -> int | None: ...


def check_positive_int(value: object, name: str, *, allow_none: bool = False) -> int | None:
    """Return ``value`` if it is an int >= 1 (or None, when allowed); else a ValueError naming ``name``.

    Example:
        >>> check_positive_int(8, "batch_size")
        8
        >>> check_positive_int(0, "batch_size")
        Traceback (most recent call last):
        ...
        ValueError: batch_size must be a positive int, got 0
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int{' or None' if allow_none else ''}, got {value!r}")
    return value




def describe(value: object) -> str:
    return "None" if value is None else type(value).__name__


def check_text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {describe(value)}")
    if not value.strip():
        raise ValueError(f"{name} is empty: every query and passage needs some text")
    return value


def check_passages(passages: object, name: str = "passages") -> list[str]:
    # Any iterable of strings (list, tuple, numpy array, pandas Series); not a lone string or a dict.
    if isinstance(passages, (str, bytes, Mapping)) or not isinstance(passages, Iterable):
        raise TypeError(f"{name} must be a list of str, got {describe(passages)}")
    passages = list(passages)
    if len(passages) == 0:
        raise ValueError(f"{name} is empty: pass at least one passage")
    return [check_text(p, f"{name}[{i}]") for i, p in enumerate(passages)]


def validate_pairs(query_or_pairs: object, passages: object = None) -> tuple[list[tuple[str, str]], bool]:
    """Normalise the accepted input shapes to a list of pairs, naming the bad argument and index.

    Returns:
        The pairs, and whether the caller passed a single (query, passage) pair of strings.

    Example:
        >>> validate_pairs("q", ["a", "b"])
        ([('q', 'a'), ('q', 'b')], False)
    """
    if isinstance(query_or_pairs, str):
        query = check_text(query_or_pairs, "query")
        if passages is None:
            raise TypeError("passages is missing: call score(query, passage), score(query, passages) or score(pairs)")
        if isinstance(passages, str):
            return [(query, check_text(passages, "passage"))], True
        return [(query, p) for p in check_passages(passages)], False
    if query_or_pairs is None:
        raise TypeError("query must be a str (or pass a list of (query, passage) pairs), got None")
    if passages is not None:
        raise TypeError(
            "mixed shapes: with a list of pairs, do not pass passages too; "
            "call score(query, passages) or score(pairs)"
        )
    if not isinstance(query_or_pairs, Sequence):
        raise TypeError(f"pairs must be a list of (query, passage) pairs, got {describe(query_or_pairs)}")
    if len(query_or_pairs) == 0:
        raise ValueError("pairs is empty: pass at least one (query, passage) pair")
    pairs = []
    for i, pair in enumerate(query_or_pairs):
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(
                f"pairs[{i}] must be a (query, passage) pair of two strings, got {describe(pair)}"
                + (" (to score one pair, call score(query, passage))" if isinstance(pair, str) else "")
            )
        pairs.append((check_text(pair[0], f"pairs[{i}][0] (query)"), check_text(pair[1], f"pairs[{i}][1] (passage)")))
    return pairs, False


def check_flag(value: object, name: str, *, allow_none: bool = False) -> None:
    """Raise a TypeError naming ``name`` unless ``value`` is a bool (or None, when allowed).

    Example:
        >>> check_flag("yes", "normalize")
        Traceback (most recent call last):
        ...
        TypeError: normalize must be True or False, got 'yes'
    """
    if not (isinstance(value, bool) or (allow_none and value is None)):
        allowed = "True, False or None" if allow_none else "True or False"
        raise TypeError(f"{name} must be {allowed}, got {value!r}")
