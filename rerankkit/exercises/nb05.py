"""Exercises for notebook 05 (timing): from a measured throughput to a workload's time, and speed-ups.

Example:
    >>> from rerankkit.exercises import nb05
    >>> print(nb05.workload_seconds.check(0.5, pairs_per_s=200.0, queries=1, top_n=100))
    ✓ 05.1 What a workload costs: right. 0.5 is queries × top_n / pairs_per_s = 1 × 100 / 200 seconds (one pair per (query, candidate)).
"""

from __future__ import annotations

from typing import Any

from rerankkit._utils.spread import TRUSTED_SPREAD, ratio_range, repeat_spread
from rerankkit.exercises.core import Exercise, as_number, expect_number
from rerankkit.exercises.solutions import SOLUTIONS

__all__ = ["workload_seconds", "speedup", "EXERCISES"]


def _positive(value: Any, name: str) -> float:
    x = as_number(value, name)
    if x <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return x


def _workload(answer: Any, pairs_per_s: Any = None, queries: int = 50, top_n: int = 100) -> tuple[bool, str]:
    if pairs_per_s is None:
        raise ValueError("pass the measured throughput: check(answer, pairs_per_s=<pairs per second>)")
    rate = _positive(pairs_per_s, "pairs_per_s")
    pairs = queries * top_n
    expected = pairs / rate
    return expect_number(answer, expected, what="a number of seconds", because=(
        f"queries × top_n / pairs_per_s = {queries} × {top_n} / {rate:.4g} seconds (one pair per (query, candidate))"),
        mistakes={
        top_n / rate: "that is one query's time; every query reranks its own top_n candidates",
        pairs * rate: "that multiplies by the throughput; pairs per second divides the number of pairs",
        queries / rate: "that counts one pair per query; each query is paired with each of its top_n candidates",
        expected / 60: "that is in minutes; the task asks for seconds",
    })


workload_seconds = Exercise(
    "05.1", "What a workload costs",
    "Take `pairs_per_s` of one row of the benchmark table `table` (cpu, fp32, status ok). How many **seconds** "
    "does reranking the top 100 candidates of 50 queries take at that rate?",
    hints=["Each query is scored against each of its candidates: one pair per (query, candidate).",
           "Pairs = 50 × 100. Time = pairs / (pairs per second)."],
    checker=_workload, solution=SOLUTIONS["05.1"],
    real_weights="tiny-random runs far faster than the 568M-parameter model; the arithmetic is the same, so apply "
                 "it to the committed reference figures (section 6) for the real model's cost.")


def _range(value: Any, name: str) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be (slowest, fastest) pairs/s, e.g. (row.pairs_per_s_min, "
                         f"row.pairs_per_s_max), got {value!r}") from None
    return lo, hi


def _speedup(answer: Any, fast: Any = None, slow: Any = None, fast_range: Any = None,
             slow_range: Any = None) -> tuple[bool, str]:
    if fast is None or slow is None:
        raise ValueError("pass both throughputs: check(answer, fast=<int8 pairs/s>, slow=<fp32 pairs/s>)")
    f, s = _positive(fast, "fast"), _positive(slow, "slow")
    expected = f / s
    correct, reason = expect_number(answer, expected, what="a ratio such as 1.8", because=(
        f"the ratio of the median throughputs, {f:.4g} / {s:.4g} pairs/s"), mistakes={
        s / f: "that is the inverse: divide the new path's throughput by the baseline's",
        (f / s - 1) * 100: "that is the gain in percent; the task asks for the ratio (×)",
        f - s: "that is the difference in pairs/s; a speed-up is a ratio",
    })
    fr, sr = _range(fast_range, "fast_range"), _range(slow_range, "slow_range")
    if not correct:
        return correct, reason
    if fr is None or sr is None:
        return correct, (reason + ". Whether it is a speed-up to believe depends on how far the repeats agree: "
                         "pass fast_range and slow_range (pairs_per_s_min, pairs_per_s_max) and the check says.")
    lo, hi = ratio_range(fr, sr)
    spreads = repeat_spread(*fr), repeat_spread(*sr)
    if max(spreads) > TRUSTED_SPREAD:
        return correct, (reason + f", but it is not a figure to trust: the repeats disagree (int8 from {fr[0]:.4g} "
                         f"to {fr[1]:.4g} pairs/s, fp32 from {sr[0]:.4g} to {sr[1]:.4g}; fastest/slowest "
                         f"{spreads[0]:.2f} and {spreads[1]:.2f}, above {TRUSTED_SPREAD}), so the repeats allow any "
                         f"speed-up from {lo:.3g}x to {hi:.3g}x. Measure again on a quieter machine, with more "
                         "repeats or more batches per repeat, before concluding anything")
    return correct, (reason + f"; the repeats agree (fastest/slowest {spreads[0]:.2f} and {spreads[1]:.2f}), and "
                     f"every repeat puts the speed-up between {lo:.3g}x and {hi:.3g}x on this machine")


speedup = Exercise(
    "05.2", "Speed-up of a fast path",
    "From the benchmark table, take `pairs_per_s` of `int8` and of `fp32` (cpu, the same batch size and length). "
    "What is int8's **speed-up** over fp32 (a ratio such as 1.8×)? Pass them to the check as `fast=` and `slow=`, "
    "with each row's slowest and fastest repeat as `fast_range=` and `slow_range=`: the check also says whether "
    "the repeats agree well enough for the figure to be believed.",
    hints=["A speed-up compares throughputs as a ratio, not a difference.",
           "speed-up = int8 pairs/s ÷ fp32 pairs/s (above 1 means int8 is faster).",
           "When the slowest and fastest repeat of a row are far apart, the median is noise: the ratio of two "
           "noisy medians can land anywhere between slowest/fastest and fastest/slowest."],
    checker=_speedup, solution=SOLUTIONS["05.2"],
    real_weights="on a tiny model int8 may even be slower (quantizing has a fixed cost); the committed reference "
                 "run measured the real model's shape. The check verifies the ratio and how far to trust it, not "
                 "the verdict.")

EXERCISES = (workload_seconds, speedup)
