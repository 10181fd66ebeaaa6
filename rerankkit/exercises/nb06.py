"""Exercises for notebook 06 (explaining scores): completeness of integrated gradients, and occlusion by hand.

The attributions of a random-weight model mean nothing; these exercises check the methods, which work the
same way on the real model.
"""

from __future__ import annotations

from typing import Any

from rerankkit.exercises.core import AnswerError, Exercise, expect_number
from rerankkit.exercises.solutions import SOLUTIONS

__all__ = ["completeness", "occlusion_drop", "EXERCISES"]

_RANDOM = ("a random-weight model's attributions mean nothing; the check verifies the method's arithmetic, which is "
           "the same with the real weights.")


def _completeness(answer: Any, explanation: Any = None) -> tuple[bool, str]:
    if explanation is None or getattr(explanation, "baseline_score", None) is None:
        raise ValueError("pass an integrated-gradients explanation: check(answer, explanation=ig)")
    change = float(explanation.score) - float(explanation.baseline_score)
    tol = abs(float(explanation.delta)) + 1e-3
    return expect_number(answer, change, abs_tol=tol, rel=0.0, what="a number of logits", because=(
        f"f(x) - f(baseline) = {explanation.score:+.4f} - ({explanation.baseline_score:+.4f}): the change from the "
        f"baseline to the input, which the attributions add up to (within the delta, {explanation.delta:+.1e})"),
        mistakes={
        float(explanation.score): "that is f(x) alone; the attributions account for the change from the baseline, "
                                  "f(x) - f(baseline)",
        float(explanation.baseline_score) - float(explanation.score): "the sign is flipped: input minus baseline",
    })


completeness = Exercise(
    "06.1", "Where the attributions add up",
    "Integrated gradients has *completeness*. For `ig` from section 1, what number should the word attributions "
    "add up to? Compute it from `ig`'s scores (not from the attributions).",
    hints=["Integrated gradients walks from a baseline input to the real input.",
           "The attributions add up to the change of the logit along that walk.",
           "ig.score - ig.baseline_score"],
    checker=_completeness, solution=SOLUTIONS["06.1"], real_weights=_RANDOM)


def _occlusion(answer: Any, explanation: Any = None, word: str | None = None) -> tuple[bool, str]:
    if explanation is None or word is None:
        raise ValueError("pass the occlusion explanation and the word: check(answer, explanation=occ, word='Paris')")
    found = [w for w in explanation.words if w.text == word and w.score_without is not None]
    if not found:
        raise AnswerError(f"{word!r} is not a word of this occlusion explanation; pick one of "
                          f"{sorted({w.text for w in explanation.words})[:12]}.")
    w = found[0]
    expected = float(explanation.score) - float(w.score_without)
    return expect_number(answer, expected, what="a number of logits", because=(
        f"the score with the word minus the score without it, {explanation.score:+.4f} - ({w.score_without:+.4f}): "
        f"how much {word!r} added to the logit"), mistakes={
        float(w.score_without): "that is the score with the word deleted; the attribution is the drop, "
                                "score - score_without",
        -expected: "the sign is flipped: a word that raises the score has a positive attribution (with minus without)",
    })


occlusion_drop = Exercise(
    "06.2", "Occlusion by hand",
    "From `occ` (section 2), take the first passage word's `score_without`. What is that word's occlusion "
    "attribution? Compute it from the scores, then compare with what `occ` reports.",
    hints=["Occlusion deletes the word, scores the pair again, and reports the change.",
           "A word that helps the score makes the score drop when it is deleted.",
           "occ.score - word.score_without"],
    checker=_occlusion, solution=SOLUTIONS["06.2"], real_weights=_RANDOM)

EXERCISES = (completeness, occlusion_drop)
