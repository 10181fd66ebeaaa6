"""Fine-tuning data: ``{"query", "pos": [...], "neg": [...]}`` JSONL lines, as BGE users already have them.

One line per query: the query, its relevant passages (``pos``), non-relevant ones (``neg``) and, optionally,
a teacher's scores for them (``pos_scores``, ``neg_scores``, FlagEmbedding's names) and the query's id
(``qid``, kept so that a split can be checked). FlagEmbedding's reranker fine-tuning reads the same lines.

A bad line raises :class:`TrainingDataError` naming the file (or ``examples``), the line number and the fix:
a line without ``pos``, an empty query, a negative identical to a positive, scores that do not match.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "train.jsonl"
    >>> _ = write_examples([TrainExample("what is a panda?", ("The giant panda is a bear.",), ("Pandas is a library.",))],
    ...                    path)
    >>> read_examples(path)[0].neg
    ('Pandas is a library.',)
    >>> _ = path.write_text('{"query": "q", "pos": ["a"], "neg": ["a"]}\\n')
    >>> read_examples(path)
    Traceback (most recent call last):
    ...
    rerankkit.training.data.TrainingDataError: ...train.jsonl, line 1: neg[0] is identical to a positive ('a'): a passage cannot be both; remove it from "neg"
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TrainExample", "TrainingDataError", "read_examples", "write_examples", "check_examples"]


class TrainingDataError(ValueError):
    """A fine-tuning example is malformed; the message names where (file and line, or example number) and the fix."""


@dataclass(frozen=True)
class TrainExample:
    """One query with its relevant (``pos``) and non-relevant (``neg``) passages.

    Attributes:
        query: The query text.
        pos: Relevant passages (at least one).
        neg: Non-relevant passages (hard negatives; may be empty until mined).
        pos_scores: A teacher's scores for ``pos`` (optional, one per passage).
        neg_scores: A teacher's scores for ``neg`` (optional, one per passage).
        qid: The query's id in its data set (optional; lets a split be checked by id as well as by text).
    """

    query: str
    pos: tuple[str, ...]
    neg: tuple[str, ...] = ()
    pos_scores: tuple[float, ...] | None = None
    neg_scores: tuple[float, ...] | None = None
    qid: str | None = None

    def to_json(self) -> dict:
        """The JSONL record (FlagEmbedding's keys; optional ones only when set)."""
        record: dict = {"query": self.query, "pos": list(self.pos), "neg": list(self.neg)}
        if self.pos_scores is not None:
            record["pos_scores"] = list(self.pos_scores)
        if self.neg_scores is not None:
            record["neg_scores"] = list(self.neg_scores)
        if self.qid is not None:
            record["qid"] = self.qid
        return record


def _texts(value: object, key: str, where: str, *, required: bool) -> tuple[str, ...]:
    if value is None:
        if required:
            raise TrainingDataError(f'{where}: no "{key}": every line needs a list of relevant passages, e.g. '
                                    f'"{key}": ["..."]')
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise TrainingDataError(f'{where}: "{key}" must be a list of strings, got {type(value).__name__}')
    if required and not value:
        raise TrainingDataError(f'{where}: "{key}" is empty: every query needs at least one relevant passage')
    for i, text in enumerate(value):
        if not isinstance(text, str) or not text.strip():
            raise TrainingDataError(f'{where}: {key}[{i}] must be a non-empty string, got {text!r}')
    return tuple(value)


def _scores(value: object, key: str, n: int, where: str) -> tuple[float, ...] | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or len(value) != n or not all(
            isinstance(s, (int, float)) and not isinstance(s, bool) and s == s for s in value):
        raise TrainingDataError(f'{where}: "{key}" must be {n} numbers, one per passage, got {value!r}')
    return tuple(float(s) for s in value)


def _example(record: object, where: str) -> TrainExample:
    if not isinstance(record, dict):
        raise TrainingDataError(f'{where}: expected a JSON object {{"query", "pos", "neg"}}, got {type(record).__name__}')
    query = record.get("query")
    if not isinstance(query, str) or not query.strip():
        raise TrainingDataError(f'{where}: "query" must be a non-empty string, got {query!r}')
    pos = _texts(record.get("pos"), "pos", where, required=True)
    neg = _texts(record.get("neg"), "neg", where, required=False)
    positives = {p.strip() for p in pos}
    for i, text in enumerate(neg):
        if text.strip() in positives:
            short = text if len(text) <= 60 else text[:57] + "..."
            raise TrainingDataError(f'{where}: neg[{i}] is identical to a positive ({short!r}): a passage cannot be '
                                    'both; remove it from "neg"')
    qid = record.get("qid")
    return TrainExample(query=query, pos=pos, neg=neg,
                        pos_scores=_scores(record.get("pos_scores"), "pos_scores", len(pos), where),
                        neg_scores=_scores(record.get("neg_scores"), "neg_scores", len(neg), where),
                        qid=None if qid is None else str(qid))


def check_examples(examples: Iterable[TrainExample | dict], *, source: str = "examples") -> list[TrainExample]:
    """Validate in-memory examples (objects or JSONL-style dicts) as :func:`read_examples` validates lines."""
    out = []
    for n, item in enumerate(examples, start=1):
        record = item.to_json() if isinstance(item, TrainExample) else item
        out.append(_example(record, f"{source}, example {n}"))
    if not out:
        raise TrainingDataError(f"{source}: no examples: pass at least one query with its passages")
    return out


def read_examples(path: str | os.PathLike) -> list[TrainExample]:
    """Read and validate a JSONL file of ``{"query", "pos", "neg"}`` lines (blank lines are skipped)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no file {os.fspath(p)!r}: check the path (write one with write_examples, or "
                                "`rerankkit finetune --data ...` to build it from evaluation data)")
    out = []
    with open(p, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{os.fspath(p)}, line {n}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TrainingDataError(f'{where}: not valid JSON ({exc.msg}); each line is one object '
                                        '{"query", "pos", "neg"}') from None
            out.append(_example(record, where))
    if not out:
        raise TrainingDataError(f"{os.fspath(p)}: the file holds no examples")
    return out


def write_examples(examples: Sequence[TrainExample], path: str | os.PathLike) -> Path:
    """Write examples as JSONL (UTF-8, one object per line), atomically."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".partial")
    with open(tmp, "w", encoding="utf-8") as f:
        for ex in examples:
            f.write(json.dumps(ex.to_json(), ensure_ascii=False) + "\n")
    tmp.replace(p)
    return p
