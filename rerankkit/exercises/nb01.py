"""Exercises for notebook 01 (scoring one pair): the score scale, thresholds, and what the model reads.

Example:
    >>> from rerankkit.exercises import nb01
    >>> print(nb01.threshold_logit.check(0.8))  # the threshold itself, not its logit
    ✗ 01.1 From threshold to logit: not yet. 0.8 is not right: 0.8 is the threshold on the sigmoid scale; the raw logit that maps to it is on a different, unbounded scale.
"""

from __future__ import annotations

import math
from typing import Any

from rerankkit.exercises._answers import index_set, numbers
from rerankkit.exercises.core import Exercise, expect_number
from rerankkit.exercises.solutions import SOLUTIONS
from rerankkit.score_scale import sigmoid

__all__ = ["threshold_logit", "passing", "count_tokens", "EXERCISES"]


def _threshold_logit(answer: Any, threshold: float = 0.8) -> tuple[bool, str]:
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold}")
    expected = math.log(threshold / (1 - threshold))
    return expect_number(answer, expected, because=(
        f"the logit whose sigmoid is {threshold}: log({threshold}/(1-{threshold})), the inverse of the sigmoid"), mistakes={
        threshold: f"{threshold} is the threshold on the sigmoid scale; the raw logit that maps to it is on a "
                   "different, unbounded scale",
        float(sigmoid(threshold)): f"that is sigmoid({threshold}); you applied the sigmoid, the task needs its inverse",
        math.log(threshold): "that is log(threshold); the inverse of the sigmoid is log(p / (1 - p))",
        -math.log(threshold / (1 - threshold)): "the sign is flipped: a threshold above 0.5 needs a positive logit",
    })


threshold_logit = Exercise(
    "01.1", "From threshold to logit",
    "The playground's threshold is a **sigmoid score**. Which **raw logit** does a threshold of 0.8 correspond "
    "to? A pair passes when its logit is at or above that value.",
    hints=["The sigmoid maps a logit x to 1 / (1 + exp(-x)). You need the x whose sigmoid is 0.8.",
           "Solve 0.8 = 1 / (1 + exp(-x)) for x: exp(-x) = 1/0.8 - 1.",
           "x = log(p / (1 - p)) with p = 0.8 (the logit function)."],
    checker=_threshold_logit, solution=SOLUTIONS["01.1"])


def _passing(answer: Any, logits: Any = None, threshold: float = 0.5) -> tuple[bool, str]:
    if logits is None:
        raise ValueError("pass the raw logits you scored and the cut: check(answer, logits=logits, threshold=cut)")
    if not 0 < threshold < 1:
        raise ValueError(f"threshold is a sigmoid score and must lie strictly between 0 and 1, got {threshold}")
    arr = numbers(logits, "logits")
    given = index_set(answer)
    expected = {i for i, x in enumerate(arr) if sigmoid(float(x)) >= threshold}
    cut_logit = math.log(threshold / (1 - threshold))
    if given == expected:
        return True, (f"inputs {sorted(expected)} have sigmoid scores at or above {threshold:.4g} "
                      f"(a raw logit at or above {cut_logit:.3f}).")
    if bad := sorted(i for i in given if not 0 <= i < len(arr)):
        return False, f"{bad} are not input indices: there are {len(arr)} passages, numbered 0 to {len(arr) - 1}."
    if given == {i for i, x in enumerate(arr) if x >= threshold}:
        return False, (f"you compared the raw logits with {threshold:.4g}; the cut is on the sigmoid scale, "
                       f"so compare sigmoid(logit) with it, or the logit with the cut's logit ({cut_logit:.3f}).")
    if given == {i for i, x in enumerate(arr) if sigmoid(float(x)) > threshold}:
        return False, "a pair passes when its score is *at or above* the threshold (>=), not strictly above."
    if given == {i + 1 for i in expected}:
        return False, "those are counted from 1; input indices start at 0."
    missing, extra = sorted(expected - given), sorted(given - expected)
    parts = ([f"{missing} pass but are missing"] if missing else []) + (
        [f"{extra} do not reach the cut (sigmoid {', '.join(f'{sigmoid(float(arr[i])):.3f}' for i in extra)})"]
        if extra else [])
    return False, "; ".join(parts) + "."


passing = Exercise(
    "01.2", "Which passages pass a cut?",
    "The cell below sets a cut on the **sigmoid scale**, `cut_score` (between the third- and fourth-best facts, "
    "so that some pass and some fail whatever the weights; a real cut comes from calibration, section 4). Score "
    "the notebook's `facts` against `query` with `rr.score` (raw logits). Which **input indices** are at or above "
    "the cut? Answer with a list such as `[0, 3]` and pass your logits and the cut to the check.",
    hints=["The cut is on the sigmoid scale; the scores from rr.score are raw logits. Put both on one scale.",
           "Either apply the sigmoid to each logit, or turn the cut into a logit with log(p / (1 - p)). "
           "Passing means at or above.",
           "[i for i, x in enumerate(logits) if rerankkit.sigmoid(x) >= cut_score]"],
    checker=_passing, solution=SOLUTIONS["01.2"],
    real_weights="which passages pass is decided by random scores; the check verifies how you applied the "
                 "cut, which is the same with the real model.")


def _count_tokens(answer: Any, rr: Any = None, query: str | None = None, passage: str | None = None) -> tuple[bool, str]:
    if rr is None or query is None or passage is None:
        raise ValueError("pass the reranker and the pair: check(answer, rr=rr, query=query, passage=passage)")
    encoded = rr.encode([(query, passage)])
    expected = int(encoded.n_tokens[0])
    tok = rr.tokenizer
    special = tok.num_special_tokens_to_add(pair=True)
    q = len(tok(query, add_special_tokens=False)["input_ids"])
    p = len(tok(passage, add_special_tokens=False)["input_ids"])
    return expect_number(answer, expected, what="a whole number of tokens", because=(
        f"the length of the pair the cross-encoder reads: {q} query tokens + {p} passage tokens + {special} special "
        "tokens (<s> q </s></s> p </s>)"), mistakes={
        len(query.split()) + len(passage.split()): "that counts words; the model reads subword tokens, and a word "
                                                   "can be several tokens (punctuation is a token too)",
        q + p: f"that leaves out the {special} special tokens the pair layout adds (<s>, </s></s>, </s>)",
        q + tok.num_special_tokens_to_add(pair=False): "that is the query alone with its special tokens, as a "
                                                       "bi-encoder reads it; the cross-encoder reads query and "
                                                       "passage in one sequence",
        p + tok.num_special_tokens_to_add(pair=False): "that is the passage alone with its special tokens, as a "
                                                       "bi-encoder reads it; the cross-encoder reads query and "
                                                       "passage in one sequence",
    })


count_tokens = Exercise(
    "01.3", "What the model reads",
    "How many tokens does the cross-encoder read for the pair (`query`, `passage`) of section 1, special tokens "
    "included? Count them with the tokenizer (`rr.tokenizer`), not by eye.",
    hints=["inputs_seen(rr, query, passage) in section 1 printed the tokens; the cross-encoder row is the answer.",
           "The pair layout is <s> query </s></s> passage </s>: the special tokens count.",
           "rr.encode([(query, passage)]).n_tokens[0] gives the count the model sees."],
    checker=_count_tokens, solution=SOLUTIONS["01.3"])

EXERCISES = (threshold_logit, passing, count_tokens)
