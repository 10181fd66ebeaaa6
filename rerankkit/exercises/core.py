"""What every exercise is made of: a task, a check that explains itself, hints one at a time, a solution on request.

A check never compares against a stored number: it computes the right answer from the same inputs the
learner used (the tokenizer's own count, the scores in front of them, ir-measures' metric), then says
whether the answer matches and, when it does not, which common mistake it looks like.

Example:
    >>> ex = Exercise("00.1", "Double it", "What is twice `x`?", hints=["Multiply by 2."],
    ...               checker=lambda answer, x=3: expect_number(answer, 2 * x, because="twice x", mistakes={
    ...                   x + 2: "you added 2 instead of multiplying by 2"}),
    ...               solution=Solution("answer = 2 * x", "Twice is times two."))
    >>> print(ex.check(5))
    ✗ 00.1 Double it: not yet. 5 is not right: you added 2 instead of multiplying by 2.
    >>> print(ex.check(6))
    ✓ 00.1 Double it: right. 6 is twice x.
    >>> print(ex.hint())
    Hint 1 of 1 (00.1 Double it): Multiply by 2.
"""

from __future__ import annotations

import html
import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rerankkit.display.style import FAIL_COLOUR, PASS_COLOUR

__all__ = ["AnswerError", "Exercise", "Hint", "Hints", "Solution", "Verdict", "as_number", "expect_number", "same"]

_STYLE = ("border-left:4px solid {colour};padding:6px 10px;margin:4px 0;background:{background};"
          "font-family:system-ui,sans-serif;font-size:14px;line-height:1.45")
_OK, _NO, _INFO = (PASS_COLOUR, "#eef7ee"), (FAIL_COLOUR, "#fdeeee"), ("#1565c0", "#eef3fb")


class AnswerError(ValueError):
    """The answer has the wrong form (a word where a number belongs, a list of the wrong things)."""


def _box(title: str, body: str, colours: tuple[str, str]) -> str:
    colour, background = colours
    return (f'<div class="rerankkit-exercise" style="{_STYLE.format(colour=colour, background=background)}">'
            f'<b style="color:{colour}">{html.escape(title)}</b> {html.escape(body)}</div>')


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: right, wrong or missing, and why. Truthy only when right.

    Attributes:
        exercise: Exercise id and title.
        correct: True (right), False (wrong) or None (no answer given yet).
        reason: Why, in one or two sentences.
    """

    exercise: str
    correct: bool | None
    reason: str

    def __bool__(self) -> bool:
        return bool(self.correct)

    @property
    def _status(self) -> tuple[str, str, tuple[str, str]]:
        if self.correct:
            return "✓", "right.", _OK
        if self.correct is None:
            return "…", "no answer yet.", _INFO
        return "✗", "not yet.", _NO

    def __str__(self) -> str:
        mark, word, _ = self._status
        return f"{mark} {self.exercise}: {word} {self.reason}"

    def _repr_html_(self) -> str:
        mark, word, colours = self._status
        return _box(f"{mark} {self.exercise}: {word}", self.reason, colours)


@dataclass(frozen=True)
class Hint:
    """One hint, numbered."""

    exercise: str
    number: int
    total: int
    text: str

    @property
    def _title(self) -> str:
        if self.number > self.total:
            return f"No more hints for {self.exercise}:"
        return f"Hint {self.number} of {self.total} ({self.exercise}):"

    def __str__(self) -> str:
        return f"{self._title} {self.text}"

    def _repr_html_(self) -> str:
        return _box(self._title, self.text, _INFO)


@dataclass(frozen=True)
class Hints:
    """Every hint of an exercise, each folded until the learner opens it (nothing is used up by running the cell).

    In a notebook each hint is a closed ``<details>`` element: *Run All* shows them all folded, and the learner
    opens one at a time by clicking. In a terminal they print in order.
    """

    exercise: str
    texts: tuple[str, ...]
    solution_call: str = ".solution() on this exercise"

    def __str__(self) -> str:
        lines = [f"Hint {n} of {len(self.texts)} ({self.exercise}): {text}" for n, text in enumerate(self.texts, 1)]
        return "\n".join([*lines, f"Still stuck? {self.solution_call} shows a worked answer."])

    def _repr_html_(self) -> str:
        colour, background = _INFO
        folded = "".join(
            f'<details style="margin:2px 0"><summary style="cursor:pointer;color:{colour}">'
            f"<b>Hint {n} of {len(self.texts)}</b> (click to open)</summary>"
            f'<div style="margin:2px 0 4px 16px">{html.escape(text)}</div></details>'
            for n, text in enumerate(self.texts, 1))
        return (f'<div class="rerankkit-exercise rerankkit-hints" '
                f'style="{_STYLE.format(colour=colour, background=background)}">'
                f'<b style="color:{colour}">Hints for {html.escape(self.exercise)}</b>, one at a time:{folded}'
                f"<div>Still stuck? <code>.solution()</code> on this exercise shows a worked answer.</div></div>")


@dataclass(frozen=True)
class Solution:
    """A worked solution: code that computes the answer from the inputs, and the reasoning."""

    code: str
    why: str

    def __str__(self) -> str:
        return f"{self.why}\n\n{self.code}"

    def _repr_html_(self) -> str:
        return (_box("Solution.", self.why, _INFO)
                + f"<pre style='margin:4px 0 0 14px'>{html.escape(self.code)}</pre>")


@dataclass(frozen=True)
class Task:
    """The task text (Markdown), rendered in a notebook and printable."""

    exercise: str
    text: str
    real_weights: str | None = None

    def __str__(self) -> str:
        note = f"\n\nWith random weights: {self.real_weights}" if self.real_weights else ""
        return f"{self.exercise}\n{self.text}{note}"

    def _repr_markdown_(self) -> str:
        note = f"\n\n*With random weights:* {self.real_weights}" if self.real_weights else ""
        return f"**{self.exercise}.** {self.text}{note}"


class Exercise:
    """One exercise: ``task``, ``check(answer, **inputs)``, ``hint()`` (the next one), ``solution()``.

    Args:
        id: ``"<notebook>.<n>"``, e.g. ``"01.2"``.
        title: A few words.
        task: What to do, in Markdown (the notebook states it too).
        hints: Shown one at a time, gentlest first.
        checker: ``checker(answer, **inputs) -> (correct, reason)``; computes the right answer itself.
        solution: Revealed only by :meth:`solution`.
        real_weights: When the exercise's numbers only mean something with the real weights: what it
            checks instead (the method).
    """

    def __init__(self, id: str, title: str, task: str, *, hints: Iterable[str],
                 checker: Callable[..., tuple[bool, str]], solution: Solution,
                 real_weights: str | None = None) -> None:
        self.id = id
        self.title = title
        self.task = Task(f"{id} {title}", task, real_weights)
        self.hints = tuple(hints)
        self._checker = checker
        self._solution = solution
        self._shown = 0

    def __repr__(self) -> str:
        return f"Exercise({self.id!r}, {self.title!r})"

    @property
    def name(self) -> str:
        return f"{self.id} {self.title}"

    def check(self, answer: Any, /, **inputs: Any) -> Verdict:
        """Check ``answer`` against the answer computed from ``inputs``; say what is right or wrong."""
        if answer is None or answer is Ellipsis:
            return Verdict(self.name, None, "Put your answer in `answer` (it is still None), then run the check again.")
        accepted = [p for p in inspect.signature(self._checker).parameters if p != "answer"]
        if unknown := sorted(set(inputs) - set(accepted)):
            raise TypeError(f"{self.id}.check() got unknown input(s) {unknown}; it takes {accepted}")
        try:
            correct, reason = self._checker(answer, **inputs)
        except AnswerError as exc:
            return Verdict(self.name, False, str(exc))
        return Verdict(self.name, correct, reason)

    def show_hints(self) -> Hints:
        """Every hint, folded: the learner opens one at a time. Running the cell (or *Run All*) uses none up.

        Example:
            >>> ex = Exercise("00.1", "Double it", "What is twice `x`?", hints=["Multiply.", "By 2."],
            ...               checker=lambda answer: (answer == 6, "six"), solution=Solution("6", "2 * 3"))
            >>> print(ex.show_hints())
            Hint 1 of 2 (00.1 Double it): Multiply.
            Hint 2 of 2 (00.1 Double it): By 2.
            Still stuck? .solution() on this exercise shows a worked answer.
            >>> print(ex.hint())  # show_hints() used none up
            Hint 1 of 2 (00.1 Double it): Multiply.
        """
        return Hints(self.name, self.hints, ".solution() on this exercise")

    def hint(self) -> Hint:
        """The next hint (for scripts and terminals); after the last, a pointer to :meth:`solution`.

        In a notebook prefer :meth:`show_hints`: re-running a cell that calls ``hint()`` (or *Run All*)
        moves on to the next hint.
        """
        self._shown += 1
        if self._shown > len(self.hints):
            return Hint(self.name, self._shown, len(self.hints), "call .solution() to see a worked answer.")
        return Hint(self.name, self._shown, len(self.hints), self.hints[self._shown - 1])

    def reset_hints(self) -> None:
        """Start the hints from the first again."""
        self._shown = 0

    def solution(self) -> Solution:
        """The worked solution (only on request)."""
        return self._solution


def as_number(answer: Any, what: str = "a number") -> float:
    """``answer`` as a float, or :class:`AnswerError` saying what was expected."""
    if isinstance(answer, bool) or not isinstance(answer, (int, float)) and not hasattr(answer, "__float__"):
        raise AnswerError(f"the answer should be {what}, got {type(answer).__name__} {answer!r}.")
    value = float(answer)
    if not math.isfinite(value):
        raise AnswerError(f"the answer should be a finite number, got {value}.")
    return value


def same(a: float, b: float, *, rel: float = 1e-3, abs_tol: float = 5e-3) -> bool:
    """Equal up to rounding (answers may be rounded to two or three decimals)."""
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)


def _fmt(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.4g}"


def expect_number(answer: Any, expected: float, *, because: str, mistakes: Mapping[float, str] | None = None,
                  what: str = "a number", rel: float = 1e-3, abs_tol: float = 5e-3) -> tuple[bool, str]:
    """Compare a numeric answer with the computed one; name the mistake it matches, if any.

    Args:
        answer: The learner's answer.
        expected: The computed right answer.
        because: Completes "<answer> is ...": why the right answer is right.
        mistakes: Values that typical mistakes produce, each with what went wrong.
        what: What kind of number is expected (for a wrong type).
    """
    value = as_number(answer, what)
    if same(value, expected, rel=rel, abs_tol=abs_tol):
        return True, f"{_fmt(value)} is {because}."
    for wrong, why in (mistakes or {}).items():
        if not same(expected, wrong, rel=rel, abs_tol=abs_tol) and same(value, wrong, rel=rel, abs_tol=abs_tol):
            return False, f"{_fmt(value)} is not right: {why}."
    direction = "too high" if value > expected else "too low"
    return False, f"{_fmt(value)} is {direction}; it should be {because}. Try hint() for the next step."
