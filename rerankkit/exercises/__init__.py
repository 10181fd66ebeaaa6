"""Exercises for the notebooks, each with a check that explains itself, hints one at a time and a solution.

One module per notebook that has exercises (``nb01`` … ``nb10``, ``nb12``), each exercise an :class:`Exercise`:

- ``ex.task`` states it (a notebook shows it as Markdown);
- ``ex.check(answer, **inputs)`` computes the right answer from the same inputs and returns a
  :class:`Verdict` (right, wrong or missing, and why; HTML in Jupyter, text in a terminal);
- ``ex.show_hints()`` shows every hint folded, to open one at a time (running it uses none up); ``ex.hint()``
  gives the next hint in a terminal; ``ex.solution()`` a worked answer, only when asked.

None needs the real weights: they check reasoning about tokens, truncation, thresholds, score scales,
metrics and costs. Where a number only means something with the real model, the task says so.

Example:
    >>> from rerankkit.exercises import nb01, all_exercises
    >>> len(all_exercises()) >= 14
    True
    >>> bool(nb01.threshold_logit.check(1.386))
    True
"""

from __future__ import annotations

from rerankkit.exercises import nb01, nb02, nb04, nb05, nb06, nb07, nb10, nb12
from rerankkit.exercises.core import Exercise, Hint, Solution, Verdict

__all__ = ["Exercise", "Hint", "Solution", "Verdict", "all_exercises", "get",
           "nb01", "nb02", "nb04", "nb05", "nb06", "nb07", "nb10", "nb12"]


def all_exercises() -> tuple[Exercise, ...]:
    """Every exercise, in notebook order."""
    return tuple(ex for module in (nb01, nb02, nb04, nb05, nb06, nb07, nb10, nb12) for ex in module.EXERCISES)


def get(exercise_id: str) -> Exercise:
    """The exercise with this id, e.g. ``get("04.2")``.

    Example:
        >>> get("04.2").title
        'nDCG@3 by hand'
    """
    for ex in all_exercises():
        if ex.id == exercise_id:
            return ex
    raise KeyError(f"no exercise {exercise_id!r}; the ids are {[ex.id for ex in all_exercises()]}")
