"""How far timed repeats agree, and what speed-ups they allow (shared by the timing harness and the exercises).

Example:
    >>> repeat_spread(46.0, 280.0) > TRUSTED_SPREAD
    True
"""

from __future__ import annotations

import math

__all__ = ["TRUSTED_SPREAD", "ratio_range", "repeat_spread"]

# Repeats whose fastest is more than this many times the slowest disagree: their median is not to be trusted.
TRUSTED_SPREAD = 1.25


def repeat_spread(slowest: float, fastest: float) -> float:
    """How far timed repeats disagree: fastest / slowest (1.0 = they agree; NaN when either is missing).

    Example:
        >>> repeat_spread(40.0, 50.0), repeat_spread(46.0, 280.0) > TRUSTED_SPREAD
        (1.25, True)
    """
    if not (math.isfinite(slowest) and math.isfinite(fastest)) or slowest <= 0:
        return float("nan")
    return float(fastest) / float(slowest)


def ratio_range(fast: tuple[float, float], slow: tuple[float, float]) -> tuple[float, float]:
    """Every speed-up the repeats allow: from the slowest new path over the fastest baseline to the reverse.

    Args:
        fast: ``(slowest, fastest)`` pairs/s of the new path over its repeats.
        slow: ``(slowest, fastest)`` pairs/s of the baseline.

    Example:
        >>> ratio_range((90.0, 110.0), (45.0, 55.0))
        (1.6363636363636365, 2.4444444444444446)
    """
    (f_lo, f_hi), (s_lo, s_hi) = fast, slow
    if min(f_lo, f_hi, s_lo, s_hi) <= 0 or f_lo > f_hi or s_lo > s_hi:
        raise ValueError(f"pass (slowest, fastest) pairs/s, both positive, got fast={fast!r} slow={slow!r}")
    return f_lo / s_hi, f_hi / s_lo
