"""Input for batch reranking: pairs or a run, from files (JSONL, parquet), a DataFrame or a list.

Every pair gets a ``row_id``: its 0-based position in the input (files in the order given, blank JSONL
lines not counted). File rows also carry ``source`` (the file) and ``line`` (1-based line in a JSONL file,
1-based row in a parquet file). A row that cannot be scored (bad JSON, a missing key, empty text, a
number where text belongs) keeps its place and gets an ``error`` reason instead of stopping the job.

Expected fields: ``query`` and ``passage`` (text), optionally ``qid`` and ``docid`` (kept as text).

Example:
    >>> frame = pairs_frame([("what is panda?", "hi"), ("what is panda?", "")])
    >>> list(frame.columns)
    ['row_id', 'query', 'passage', 'error']
    >>> frame.error.tolist()
    [None, 'passage is empty']
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

__all__ = ["TEXT_COLUMNS", "ID_COLUMNS", "Shard", "plan_files", "read_shard", "pairs_frame", "check_rows",
           "list_input_files"]

TEXT_COLUMNS = ("query", "passage")
ID_COLUMNS = ("qid", "docid")
FILE_KINDS = {".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


@dataclass(frozen=True)
class Shard:
    """A slice of one input file that one read task turns into rows.

    Attributes:
        path: The file.
        kind: ``"jsonl"`` or ``"parquet"``.
        first_row: ``row_id`` of the slice's first row.
        n_rows: Rows in the slice (blank JSONL lines not counted).
        offset: Byte offset of the slice (JSONL) or row-group index (parquet).
        first_line: 1-based line (JSONL) or row (parquet) of the slice's first row in its file.
    """

    path: str
    kind: str
    first_row: int
    n_rows: int
    offset: int
    first_line: int

    def as_item(self) -> dict:
        return asdict(self)


def _describe(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _text_problem(value: object, name: str) -> str | None:
    if not isinstance(value, str):
        return f"{name} must be text, got {_describe(value)}"
    if not value.strip():
        return f"{name} is empty"
    return None


def check_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Mark rows that cannot be scored, in place of raising: ``error`` holds the reason, texts stay text or None.

    Ids (``qid``, ``docid``) become text so that every output file has the same schema.
    """
    frame = frame.copy()
    errors = list(frame["error"]) if "error" in frame else [None] * len(frame)
    for name in TEXT_COLUMNS:
        values = list(frame[name]) if name in frame else [None] * len(frame)
        for i, value in enumerate(values):
            if errors[i] is None or (isinstance(errors[i], float) and pd.isna(errors[i])):
                errors[i] = _text_problem(value, name)
        frame[name] = pd.Series([v if isinstance(v, str) else None for v in values], index=frame.index, dtype=object)
    frame["error"] = pd.Series([e if isinstance(e, str) else None for e in errors], index=frame.index, dtype=object)
    for name in ID_COLUMNS:
        if name in frame:
            frame[name] = pd.Series([None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
                                     for v in frame[name]], index=frame.index, dtype=object)
    return frame


def pairs_frame(pairs: Sequence[tuple[str, str]] | pd.DataFrame) -> pd.DataFrame:
    """A checked frame with ``row_id`` from a list of ``(query, passage)`` pairs or a DataFrame."""
    if isinstance(pairs, pd.DataFrame):
        missing = [c for c in TEXT_COLUMNS if c not in pairs.columns]
        if missing:
            raise ValueError(f"the DataFrame has no column {missing[0]!r}: it needs 'query' and 'passage' "
                             f"(optionally 'qid' and 'docid'); it has {list(pairs.columns)}")
        frame = pairs[[c for c in (*ID_COLUMNS, *TEXT_COLUMNS) if c in pairs.columns]].reset_index(drop=True)
    else:
        if isinstance(pairs, (str, bytes)) or not isinstance(pairs, Sequence):
            raise TypeError(f"pairs must be a list of (query, passage) pairs, a DataFrame, file paths or a Ray "
                            f"Dataset, got {_describe(pairs)}")
        rows = []
        for i, pair in enumerate(pairs):
            if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise ValueError(f"pairs[{i}] must be a (query, passage) pair, got {_describe(pair)}")
            rows.append({"query": pair[0], "passage": pair[1]})
        frame = pd.DataFrame(rows, columns=list(TEXT_COLUMNS))
    if len(frame) == 0:
        raise ValueError("no pairs to score: the input is empty")
    frame.insert(0, "row_id", range(len(frame)))
    return check_rows(frame)


def list_input_files(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> list[Path]:
    """Files to read, in order: each path itself, or a folder's ``*.jsonl``/``*.parquet`` sorted by name."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in FILE_KINDS)
            if not found:
                raise FileNotFoundError(f"{path} holds no .jsonl or .parquet files")
            files.extend(found)
        elif path.is_file():
            if path.suffix not in FILE_KINDS:
                raise ValueError(f"{path}: unknown file type {path.suffix!r}; use .jsonl or .parquet")
            files.append(path)
        else:
            raise FileNotFoundError(f"input file not found: {path}")
    return files


def _plan_jsonl(path: Path, first_row: int, shard_rows: int) -> list[Shard]:
    shards = []
    row = offset = start_offset = start_line = 0
    n = 0
    with path.open("rb") as handle:
        for line_no, line in enumerate(handle, start=1):
            if line.strip():
                if n == 0:
                    start_offset, start_line = offset, line_no
                n += 1
                if n == shard_rows:
                    shards.append(Shard(str(path), "jsonl", first_row + row, n, start_offset, start_line))
                    row += n
                    n = 0
            offset += len(line)
    if n:
        shards.append(Shard(str(path), "jsonl", first_row + row, n, start_offset, start_line))
    return shards


def _plan_parquet(path: Path, first_row: int) -> list[Shard]:
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    names = set(meta.schema.names)
    missing = [c for c in TEXT_COLUMNS if c not in names]
    if missing:
        raise ValueError(f"{path} has no column {missing[0]!r}: it needs 'query' and 'passage' "
                         f"(optionally 'qid' and 'docid'); it has {sorted(names)}")
    shards, row = [], 0
    for group in range(meta.num_row_groups):
        n = meta.row_group(group).num_rows
        if n:
            shards.append(Shard(str(path), "parquet", first_row + row, n, group, row + 1))
            row += n
    return shards


def plan_files(files: Sequence[Path], *, shard_rows: int = 10_000) -> list[Shard]:
    """Split files into read shards: ``shard_rows`` rows of JSONL, or one parquet row group, each."""
    shards: list[Shard] = []
    next_row = 0
    for path in files:
        part = _plan_jsonl(path, next_row, shard_rows) if FILE_KINDS[path.suffix] == "jsonl" else _plan_parquet(
            path, next_row)
        shards.extend(part)
        next_row += sum(s.n_rows for s in part)
    if not shards:
        raise ValueError(f"no pairs to score: {', '.join(map(str, files))} hold no rows")
    return shards


def _jsonl_rows(shard: Shard) -> list[dict]:
    rows: list[dict] = []
    with open(shard.path, "rb") as handle:
        handle.seek(shard.offset)
        line_no = shard.first_line - 1
        while len(rows) < shard.n_rows:
            raw = handle.readline()
            line_no += 1
            if not raw:
                break
            if not raw.strip():
                continue
            row = {"row_id": shard.first_row + len(rows), "source": shard.path, "line": line_no}
            try:
                item = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                row["error"] = f"not JSON ({getattr(exc, 'msg', exc)}): expected {{\"query\": ..., \"passage\": ...}}"
                rows.append(row)
                continue
            if not isinstance(item, dict):
                row["error"] = f"expected a JSON object with keys 'query' and 'passage', got {_describe(item)}"
            else:
                missing = [c for c in TEXT_COLUMNS if c not in item]
                if missing:
                    row["error"] = f"missing key {missing[0]!r}"
                row.update({c: item.get(c) for c in (*ID_COLUMNS, *TEXT_COLUMNS) if c in item})
            rows.append(row)
    return rows


def read_shard(shard: Shard | dict) -> pd.DataFrame:
    """Rows of one shard, checked, with ``row_id``, ``source`` and ``line``."""
    if isinstance(shard, dict):
        shard = Shard(**shard)
    if shard.kind == "jsonl":
        frame = pd.DataFrame(_jsonl_rows(shard))
    else:
        import pyarrow.parquet as pq

        handle = pq.ParquetFile(shard.path)
        present = [c for c in (*ID_COLUMNS, *TEXT_COLUMNS) if c in handle.schema_arrow.names]
        frame = handle.read_row_group(shard.offset, columns=present).to_pandas()
        frame.insert(0, "line", range(shard.first_line, shard.first_line + len(frame)))
        frame.insert(0, "source", shard.path)
        frame.insert(0, "row_id", range(shard.first_row, shard.first_row + len(frame)))
    for name in TEXT_COLUMNS:
        if name not in frame:
            frame[name] = None
    return check_rows(frame)
