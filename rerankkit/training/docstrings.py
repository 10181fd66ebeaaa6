"""A real retrieval task that ships with the installed packages: find a function's documentation from its summary.

numpy, scipy and pandas document every public function in numpydoc style: a one-line summary, then an
extended summary and the ``Parameters``/``Returns`` sections. Here the summary line is the query and the rest
of the docstring (up to ``See Also``/``Notes``/``Examples``, cut to ``max_words``) is the passage to find
among all the others: "which documentation section answers this?". The text is the packages' own, read
with :func:`inspect.getdoc` from the installed versions (named in :attr:`EvalData.notes`), so it is real
technical English written by people, available offline, and disjoint from the kit's hand-written case sets.

Queries whose summary occurs more than once (aliases, templated methods) are left out: each kept query has
exactly one relevant passage, its own.

Example:
    >>> summary, body = split_docstring('''Sum of array elements.
    ...
    ... Parameters
    ... ----------
    ... a : array_like
    ...     Elements to sum.
    ...
    ... Examples
    ... --------
    ... >>> sum([1])''')
    >>> summary, body
    ('Sum of array elements.', 'Parameters: a : array_like Elements to sum.')
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rerankkit.evaluation.datasets import EvalData

__all__ = ["DOC_MODULES", "split_docstring", "docstring_data"]

# Public namespaces read, in this order (the first module to show an object names it).
DOC_MODULES: tuple[str, ...] = (
    "numpy", "numpy.linalg", "numpy.fft", "numpy.random", "numpy.ma",
    "scipy.stats", "scipy.linalg", "scipy.optimize", "scipy.signal", "scipy.special", "scipy.interpolate",
    "scipy.sparse", "scipy.sparse.linalg", "scipy.spatial", "scipy.integrate", "scipy.ndimage",
    "scipy.cluster.hierarchy", "pandas",
)
_STOP_SECTIONS = {"see also", "notes", "examples", "references", "warnings", "warns", "raises", "yields",
                  "other parameters", "attributes", "methods"}
_UNDERLINE = re.compile(r"^\s*[-=~]{3,}\s*$")
_SIGNATURE = re.compile(r"^[\w.]+\(.*\)(\s*->.*)?$")


def split_docstring(doc: str, *, max_words: int = 120) -> tuple[str, str]:
    """``(summary, body)`` of a numpydoc docstring: the first paragraph, and what follows up to the notes.

    Section titles are kept as ``"Parameters:"``; the body is one line of at most ``max_words`` words.
    """
    lines = [line.rstrip() for line in inspect.cleandoc(doc).splitlines()]
    if lines and _SIGNATURE.match(lines[0].strip()):  # C functions repeat their signature first
        lines = lines[1:]
    while lines and not lines[0].strip():
        lines.pop(0)
    summary_lines: list[str] = []
    while lines and lines[0].strip():
        summary_lines.append(lines.pop(0).strip())
    body: list[str] = []
    for i, line in enumerate(lines):
        if _UNDERLINE.match(line):
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if _UNDERLINE.match(nxt):
            title = line.strip().lower()
            if title in _STOP_SECTIONS:
                break
            body.append(line.strip() + ":")
        elif line.strip():
            body.append(line.strip())
    words = " ".join(body).split()
    return " ".join(summary_lines), " ".join(words[:max_words])


def _entries(modules: Sequence[str]) -> list[tuple[str, str]]:
    seen: set[int] = set()
    out: list[tuple[str, str]] = []
    for name in modules:
        module = importlib.import_module(name)
        for attr in sorted(dir(module)):
            if attr.startswith("_"):
                continue
            try:
                obj = getattr(module, attr)
            except Exception:  # lazy attributes that fail to import are not documentation
                continue
            if id(obj) in seen or inspect.ismodule(obj):
                continue
            seen.add(id(obj))
            doc = inspect.getdoc(obj)
            if doc:
                out.append((f"{name}.{attr}", doc))
    return out


def docstring_data(modules: Sequence[str] = DOC_MODULES, *, min_query_words: int = 4,
                   min_body_words: int = 25, max_words: int = 120) -> EvalData:
    """The "find the documentation" task as :class:`~rerankkit.evaluation.EvalData` (no run; qid = docid = name).

    Args:
        modules: Importable modules whose public objects are read.
        min_query_words: Shortest summary kept as a query.
        min_body_words: Shortest passage kept.
        max_words: Passages are cut to this many words.

    Example (imports numpy, scipy and pandas: several seconds):
        ``docstring_data(["numpy.linalg"]).queries["numpy.linalg.inv"]`` is ``'Compute the inverse of a matrix.'``
    """
    from rerankkit.evaluation.datasets import EvalData

    pairs: list[tuple[str, str, str]] = []
    for name, doc in _entries(modules):
        summary, body = split_docstring(doc, max_words=max_words)
        if len(summary.split()) >= min_query_words and len(body.split()) >= min_body_words:
            pairs.append((name, summary, body))
    summaries: dict[str, int] = {}
    bodies: dict[str, int] = {}
    for _, s, b in pairs:
        summaries[s.casefold()] = summaries.get(s.casefold(), 0) + 1
        bodies[b] = bodies.get(b, 0) + 1
    kept = [(n, s, b) for n, s, b in pairs if summaries[s.casefold()] == 1 and bodies[b] == 1]
    if not kept:
        raise ValueError(f"no documented function with a summary of {min_query_words}+ words and a body of "
                         f"{min_body_words}+ words in {list(modules)}")
    tops = sorted({m.split(".")[0] for m in modules})
    versions = ", ".join(f"{t} {importlib.metadata.version(t)}" for t in tops)
    return EvalData(
        name="docstrings", queries={n: s for n, s, _ in kept}, docs={n: b for n, _, b in kept},
        qrels={n: {n: 1} for n, _, _ in kept},
        notes=(f"docstrings of the installed {versions} ({len(modules)} modules, read with inspect.getdoc): "
               "the summary line is the query, the rest up to See Also/Notes/Examples the passage",),
    )
