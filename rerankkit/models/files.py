"""Is a model folder whole? Names what is damaged or missing before transformers or safetensors trip over it.

A download cut short, a disk that filled up, or a Git LFS pointer committed in place of the weights otherwise
surface as ``SafetensorError: header too large`` or a tokenizer error deep inside a library.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> problems(folder)
    ['config.json is missing', 'no weights (*.safetensors or *.bin)', 'no tokenizer files (tokenizer.json, a SentencePiece model or a vocabulary)']
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from rerankkit.errors import ModelUnavailableError

__all__ = ["problems", "check_model_folder"]

_TOKENIZER_FILES = ("tokenizer.json", "sentencepiece.bpe.model", "tokenizer.model", "spiece.model", "vocab.txt",
                    "vocab.json")
_LFS_POINTER = b"version https://git-lfs"


def _safetensors_problem(path: Path) -> str | None:
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        if head.startswith(_LFS_POINTER[:8]):
            return f"{path.name} is a Git LFS pointer, not the weights"
        if len(head) < 8:
            return f"{path.name} is truncated ({size} bytes)"
        n = int.from_bytes(head, "little")
        if n > size - 8:
            return f"{path.name} is damaged: its header claims {n} bytes but the file has {size}"
        try:
            header = json.loads(fh.read(n))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return f"{path.name} is damaged: its header is not valid JSON"
    try:
        expected = 8 + n + max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    except (TypeError, KeyError, IndexError, AttributeError):
        return f"{path.name} is damaged: its header lists no tensor offsets"
    if expected != size:
        return f"{path.name} is truncated or damaged: it has {size} bytes, its header expects {expected}"
    return None


@functools.lru_cache(maxsize=64)
def _is_json(path: str, size: int, mtime_ns: int) -> bool:
    """Whether the file parses as JSON; remembered per size and modification time (a tokenizer.json of a
    250k-word vocabulary takes most of a second to parse, and a session loads the same folder many times)."""
    try:
        json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return True


# JSON files larger than this get the quick check (first and last characters) when ``thorough`` is False.
_QUICK_JSON_BYTES = 1 << 20


def _json_ends_look_whole(path: Path, size: int) -> bool:
    """Whether the file starts with ``{`` and ends with ``}`` (blanks aside): a cut-off download does not."""
    with path.open("rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        fh.seek(max(0, size - 64))
        tail = fh.read().rstrip()
    return head.startswith(b"{") and tail.endswith(b"}")


def problems(folder: Path, *, thorough: bool = True) -> list[str]:
    """What is missing or damaged in a model folder (an empty list when it looks whole).

    ``thorough=False`` parses only the JSON files under 1 MB and checks the larger ones (a tokenizer.json of a
    250k-word vocabulary, most of a second to parse) for a cut-off end: what a loader runs before every load,
    and again thoroughly if the load then fails.
    """
    found: list[str] = []
    config = folder / "config.json"
    if not config.is_file():
        found.append("config.json is missing")
    else:
        try:
            data = json.loads(config.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            found.append(f"config.json is not valid JSON ({exc})")
        else:
            if not isinstance(data, dict) or not data.get("architectures"):
                found.append("config.json names no architecture (the 'architectures' list is missing or empty)")
    index = folder / "model.safetensors.index.json"
    shards: set[str] = set()
    if index.is_file():
        try:
            shards = set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values())
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, AttributeError):
            found.append("model.safetensors.index.json is damaged")
    found += [f"{name} is missing (listed in model.safetensors.index.json)"
              for name in sorted(shards) if not (folder / name).is_file()]
    weights = sorted(folder.glob("*.safetensors"))
    if not weights and not any(folder.glob("*.bin")) and not shards:
        found.append("no weights (*.safetensors or *.bin)")
    found += [p for p in map(_safetensors_problem, weights) if p]
    for name in ("tokenizer.json", "tokenizer_config.json"):
        path = folder / name
        if path.is_file():
            stat = path.stat()
            if not thorough and stat.st_size > _QUICK_JSON_BYTES:
                whole = _json_ends_look_whole(path, stat.st_size)
            else:
                whole = _is_json(str(path), stat.st_size, stat.st_mtime_ns)
            if not whole:
                found.append(f"{name} is damaged (not valid JSON)")
    if not any((folder / name).is_file() for name in _TOKENIZER_FILES):
        found.append("no tokenizer files (tokenizer.json, a SentencePiece model or a vocabulary)")
    return found


def check_model_folder(folder: Path, *, fix: str, thorough: bool = True, cause: BaseException | None = None) -> Path:
    """Return ``folder`` if it looks whole; else a :class:`ModelUnavailableError` naming it, each problem and ``fix``.

    ``thorough`` is passed to :func:`problems`; ``cause`` is the error a load raised, when the check explains it.

    Example:
        >>> import tempfile, pathlib
        >>> check_model_folder(pathlib.Path(tempfile.mkdtemp()), fix="run X")
        Traceback (most recent call last):
        ...
        rerankkit.errors.ModelUnavailableError: ...config.json is missing; no weights ...Fix: run X
    """
    found = problems(folder, thorough=thorough)
    if found:
        raise ModelUnavailableError(
            f"the model folder {folder} is incomplete or damaged: {'; '.join(found)}. Fix: {fix}") from cause
    return folder
