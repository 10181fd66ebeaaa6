"""Standard retrieval file formats, read and written: queries, corpus, qrels (TREC) and runs (TREC).

- **queries**: TSV (``qid<TAB>text``, no header) or JSONL (``{"_id": ..., "text": ...}``, BEIR's layout;
  ``id``/``qid``/``query_id`` and ``query`` are accepted too).
- **corpus**: JSONL (``{"_id", "title", "text"}``, BEIR), TSV (``docid<TAB>text[<TAB>title]``, MS MARCO's
  collection layout) or parquet (columns ``_id``/``id``/``docid``, ``text``, optional ``title``).
  A title is joined to the text as ``title + " " + text``, as BEIR's evaluation does.
- **qrels**: TREC, ``qid 0 docid grade`` (whitespace separated).
- **run**: TREC, ``qid Q0 docid rank score tag``; order within a query comes from the score.

The format follows the file's extension (``.tsv``/``.txt``, ``.jsonl``/``.json``, ``.parquet``,
``.trec``/``.qrels``/``.run``/``.txt`` for TREC files). A malformed line raises :class:`FormatError`
naming the file, the line number and what was expected.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_run({"q1": {"d1": 2.5, "d2": 1.0}}, folder / "run.trec", tag="bm25")
    >>> print((folder / "run.trec").read_text(), end="")
    q1 Q0 d1 1 2.5 bm25
    q1 Q0 d2 2 1.0 bm25
    >>> read_run(folder / "run.trec")
    {'q1': {'d1': 2.5, 'd2': 1.0}}
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = [
    "FormatError",
    "read_corpus",
    "read_qrels",
    "read_queries",
    "read_run",
    "write_corpus",
    "write_qrels",
    "write_queries",
    "write_run",
]

_ID_KEYS = ("_id", "id", "qid", "query_id", "docid", "doc_id")
_QUERY_TEXT_KEYS = ("text", "query")


class FormatError(ValueError):
    """A line of a data file does not match its format; the message names the file, the line and the format."""

    def __init__(self, path: str | os.PathLike, line: int | None, expected: str, got: str = "") -> None:
        where = f"{os.fspath(path)}, line {line}" if line is not None else os.fspath(path)
        super().__init__(f"{where}: expected {expected}" + (f"; got {got}" if got else ""))
        self.path = os.fspath(path)
        self.line = line


def _path(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no file {os.fspath(p)!r}: check the path")
    return p


def _kind(path: Path, allowed: tuple[str, ...], what: str) -> str:
    suffix = path.suffix.lower().lstrip(".")
    kind = {"tsv": "tsv", "txt": "tsv", "jsonl": "jsonl", "json": "jsonl", "parquet": "parquet"}.get(suffix)
    if kind not in allowed:
        raise FormatError(path, None, f"a {what} file ending in {', '.join('.' + a for a in allowed)}",
                          f"{path.name!r}")
    return kind


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            line = line.rstrip("\r\n")
            if line.strip():
                yield n, line


def _short(line: str) -> str:
    return repr(line if len(line) <= 80 else line[:77] + "...")


def _put(table: dict, key: str, value, path: Path, n: int | None, what: str) -> None:
    if not key:
        raise FormatError(path, n, f"a non-empty {what} id")
    if key in table:
        raise FormatError(path, n, f"each {what} id once", f"{key!r} again")
    table[key] = value


def _json_record(path: Path, n: int, line: str, layout: str) -> dict:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise FormatError(path, n, f"one JSON object per line ({layout})", f"invalid JSON ({exc.msg})") from None
    if not isinstance(item, dict):
        raise FormatError(path, n, f"a JSON object ({layout})", type(item).__name__)
    return item


def _first(item: Mapping, keys: tuple[str, ...]) -> object:
    for key in keys:
        if key in item:
            return item[key]
    return None


# -- queries -----------------------------------------------------------------------------
def read_queries(path: str | os.PathLike) -> dict[str, str]:
    """``{qid: text}`` from a TSV (``qid<TAB>text``) or JSONL (``{"_id", "text"}``) file."""
    p = _path(path)
    kind = _kind(p, ("tsv", "jsonl"), "queries")
    out: dict[str, str] = {}
    for n, line in _lines(p):
        if kind == "tsv":
            parts = line.split("\t")
            if len(parts) != 2 or not parts[1].strip():
                raise FormatError(p, n, "2 tab-separated fields: qid, query text", _short(line))
            qid, text = parts[0].strip(), parts[1]
        else:
            item = _json_record(p, n, line, '{"_id": ..., "text": ...}')
            raw_id, raw_text = _first(item, _ID_KEYS), _first(item, _QUERY_TEXT_KEYS)
            if raw_id is None or not isinstance(raw_text, str) or not raw_text.strip():
                raise FormatError(p, n, 'keys "_id" and "text" (a non-empty string)', _short(line))
            qid, text = str(raw_id), raw_text
        _put(out, qid, text, p, n, "query")
    if not out:
        raise FormatError(p, None, "at least one query", "an empty file")
    return out


def write_queries(queries: Mapping[str, str], path: str | os.PathLike) -> None:
    """Write queries as TSV or JSONL, by the file's extension."""
    p = Path(path)
    kind = _kind(p, ("tsv", "jsonl"), "queries")
    with open(p, "w", encoding="utf-8") as f:
        for qid, text in queries.items():
            if kind == "tsv":
                f.write(f"{qid}\t{_one_line(text)}\n")
            else:
                f.write(json.dumps({"_id": qid, "text": text}, ensure_ascii=False) + "\n")


def _one_line(text: str) -> str:
    return " ".join(text.split())  # TSV cannot hold tabs or newlines inside a field


# -- corpus ------------------------------------------------------------------------------
def _doc_text(title: object, text: object) -> str:
    title = title.strip() if isinstance(title, str) else ""
    return f"{title} {text}".strip() if title else str(text)


def read_corpus(path: str | os.PathLike) -> dict[str, str]:
    """``{docid: text}`` (title joined in front) from JSONL, TSV or parquet."""
    p = _path(path)
    kind = _kind(p, ("jsonl", "tsv", "parquet"), "corpus")
    out: dict[str, str] = {}
    if kind == "parquet":
        import pandas as pd

        frame = pd.read_parquet(p)
        id_col = next((c for c in ("_id", "id", "docid", "doc_id") if c in frame.columns), None)
        if id_col is None or "text" not in frame.columns:
            raise FormatError(p, None, "parquet columns '_id' (or 'id'/'docid') and 'text'", str(list(frame.columns)))
        titles = frame["title"] if "title" in frame.columns else [None] * len(frame)
        for row, (docid, title, text) in enumerate(zip(frame[id_col], titles, frame["text"]), start=1):
            if not isinstance(text, str):
                raise FormatError(p, None, f"a string in column 'text' (row {row})", repr(text))
            _put(out, str(docid), _doc_text(title, text), p, None, f"document (row {row})")
    else:
        for n, line in _lines(p):
            if kind == "tsv":
                parts = line.split("\t")
                if len(parts) not in (2, 3) or not parts[1].strip():
                    raise FormatError(p, n, "2 or 3 tab-separated fields: docid, text[, title]", _short(line))
                docid, text, title = parts[0].strip(), parts[1], parts[2] if len(parts) == 3 else None
            else:
                item = _json_record(p, n, line, '{"_id": ..., "title": ..., "text": ...}')
                docid, text, title = _first(item, _ID_KEYS), item.get("text"), item.get("title")
                if docid is None or not isinstance(text, str):
                    raise FormatError(p, n, 'keys "_id" and "text" (a string), optionally "title"', _short(line))
                docid = str(docid)
            text = _doc_text(title, text)
            if not text.strip():
                raise FormatError(p, n, "a document with some text", f"an empty document {docid!r}")
            _put(out, docid, text, p, n, "document")
    if not out:
        raise FormatError(p, None, "at least one document", "an empty file")
    return out


def write_corpus(corpus: Mapping[str, str], path: str | os.PathLike) -> None:
    """Write documents as JSONL, TSV or parquet (by extension); titles are already part of the text."""
    p = Path(path)
    kind = _kind(p, ("jsonl", "tsv", "parquet"), "corpus")
    if kind == "parquet":
        import pandas as pd

        pd.DataFrame({"_id": list(corpus), "text": list(corpus.values())}).to_parquet(p, index=False)
        return
    with open(p, "w", encoding="utf-8") as f:
        for docid, text in corpus.items():
            if kind == "tsv":
                f.write(f"{docid}\t{_one_line(text)}\n")
            else:
                f.write(json.dumps({"_id": docid, "title": "", "text": text}, ensure_ascii=False) + "\n")


# -- qrels and runs (TREC) ---------------------------------------------------------------
def read_qrels(path: str | os.PathLike) -> dict[str, dict[str, int]]:
    """``{qid: {docid: grade}}`` from a TREC qrels file (``qid 0 docid grade``)."""
    p = _path(path)
    out: dict[str, dict[str, int]] = {}
    for n, line in _lines(p):
        parts = line.split()
        try:
            if len(parts) != 4:
                raise ValueError
            grade = int(parts[3])
        except ValueError:
            raise FormatError(p, n, "4 whitespace-separated fields: qid 0 docid grade (an integer)",
                              _short(line)) from None
        labels = out.setdefault(parts[0], {})
        if parts[2] in labels:
            raise FormatError(p, n, "one grade per (qid, docid)", f"{parts[2]!r} again for query {parts[0]!r}")
        labels[parts[2]] = grade
    if not out:
        raise FormatError(p, None, "at least one judgement", "an empty file")
    return out


def write_qrels(qrels: Mapping[str, Mapping[str, int]], path: str | os.PathLike) -> None:
    """Write qrels in TREC format."""
    with open(path, "w", encoding="utf-8") as f:
        for qid, labels in qrels.items():
            f.writelines(f"{qid} 0 {docid} {int(grade)}\n" for docid, grade in labels.items())


def read_run(path: str | os.PathLike) -> dict[str, dict[str, float]]:
    """``{qid: {docid: score}}`` from a TREC run file (``qid Q0 docid rank score tag``), best first per query."""
    p = _path(path)
    out: dict[str, dict[str, float]] = {}
    for n, line in _lines(p):
        parts = line.split()
        try:
            if len(parts) != 6:
                raise ValueError
            int(parts[3])
            score = float(parts[4])
            if not math.isfinite(score):
                raise ValueError
        except ValueError:
            raise FormatError(p, n, "6 whitespace-separated fields: qid Q0 docid rank score tag "
                              "(rank an integer, score a finite number)", _short(line)) from None
        ranked = out.setdefault(parts[0], {})
        if parts[2] in ranked:
            raise FormatError(p, n, "each docid once per query", f"{parts[2]!r} again for query {parts[0]!r}")
        ranked[parts[2]] = score
    if not out:
        raise FormatError(p, None, "at least one ranked document", "an empty file")
    return {q: dict(sorted(docs.items(), key=lambda kv: -kv[1])) for q, docs in out.items()}


def write_run(run: Mapping[str, Mapping[str, float]], path: str | os.PathLike, *, tag: str = "rerankkit") -> None:
    """Write a run in TREC format, each query's documents by descending score (ranks from 1)."""
    if not tag or any(c.isspace() for c in tag):
        raise ValueError(f"tag must be one word without spaces, got {tag!r}")
    with open(path, "w", encoding="utf-8") as f:
        for qid, docs in run.items():
            ranked = sorted(docs.items(), key=lambda kv: -kv[1])
            f.writelines(f"{qid} Q0 {docid} {rank} {float(score)!r} {tag}\n" for rank, (docid, score) in enumerate(ranked, start=1))
