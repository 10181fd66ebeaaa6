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


def _occluded_word(explanation: Any, word: Any) -> Any:
    """The passage word meant: the word object itself, or the passage's first word with this text."""
    if hasattr(word, "score_without"):
        if word.score_without is None or word not in explanation.words:
            raise AnswerError("that word does not belong to this occlusion explanation; take it from occ.words.")
        return word
    if not isinstance(word, str):
        raise AnswerError(f"pass the word from occ.words (or its text), got {word!r}.")
    found = [w for w in explanation.words if w.side == "passage" and w.text == word and w.score_without is not None]
    if not found:
        raise AnswerError(f"{word!r} is not a passage word of this occlusion explanation; pick one of "
                          f"{sorted({w.text for w in explanation.words if w.side == 'passage'})[:12]}.")
    return found[0]


def _occlusion(answer: Any, explanation: Any = None, word: Any = None) -> tuple[bool, str]:
    if explanation is None or word is None:
        raise ValueError("pass the occlusion explanation and the word: check(answer, explanation=occ, word=word)")
    w = _occluded_word(explanation, word)
    expected = float(explanation.score) - float(w.score_without)
    mistakes = {
        float(w.score_without): "that is the score with the word deleted; the attribution is the drop, "
                                "score - score_without",
        -expected: "the sign is flipped: a word that raises the score has a positive attribution (with minus without)",
    }
    for other in explanation.words:
        if other is not w and other.text == w.text and other.score_without is not None:
            drop = float(explanation.score) - float(other.score_without)
            mistakes.setdefault(drop, f"that is the drop for {w.text!r} in the {other.side} (word {other.position}); "
                                      f"the task asks for the {w.side}'s occurrence: the same word at another place "
                                      "is deleted separately and can change the score differently")
    return expect_number(answer, expected, what="a number of logits", because=(
        f"the score with the word minus the score without it, {explanation.score:+.4f} - ({w.score_without:+.4f}): "
        f"how much the {w.side}'s {w.text!r} added to the logit"), mistakes=mistakes)


occlusion_drop = Exercise(
    "06.2", "Occlusion by hand",
    "`capital` occurs in the query and in the passage of section 2; occlusion deletes each occurrence on its own. "
    "From `occ`, take the **passage's** `capital` and its `score_without`. What is that word's occlusion "
    "attribution? Compute it from the scores, then compare with what `occ` reports. Pass the word itself "
    "(`word=word`) to the check.",
    hints=["Occlusion deletes the word, scores the pair again, and reports the change.",
           "A word that helps the score makes the score drop when it is deleted. Each word of occ.words has a "
           "side: 'query' or 'passage'.",
           "occ.score - word.score_without"],
    checker=_occlusion, solution=SOLUTIONS["06.2"], real_weights=_RANDOM)

EXERCISES = (completeness, occlusion_drop)
