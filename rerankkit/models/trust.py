"""What loading a model asks of the person: running its repository's code, and its licence.

Code from a model's repository (``auto_map`` in its ``config.json``, or a catalogue entry with
``remote_code``) runs only when asked for with ``trust_remote_code=True``, and is then named once
per repository and revision. A licence that forbids commercial use is named once per model.

Example:
    >>> from rerankkit.models.trust import remote_code_classes
    >>> remote_code_classes("./no-such-folder")
    {}
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

from rerankkit.errors import LicenceWarning, RemoteCodeError, RemoteCodeWarning
from rerankkit.models.catalogue import KnownModel

__all__ = ["remote_code_classes", "check_remote_code", "note_licence"]

_warned_code: set[tuple[str, str | None]] = set()
_warned_licence: set[str] = set()


def remote_code_classes(folder: str | os.PathLike) -> dict[str, str]:
    """The ``auto_map`` of a model folder's ``config.json``: auto class -> ``module.Class`` in the folder.

    Empty when the model needs no code of its own (or the folder has no readable config).
    """
    try:
        config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    auto_map = config.get("auto_map") if isinstance(config, dict) else None
    return {str(k): str(v) for k, v in auto_map.items()} if isinstance(auto_map, dict) else {}


def check_remote_code(spec: str, *, known: KnownModel | None, folder: str | os.PathLike | None,
                      trust_remote_code: bool, revision: str | None) -> None:
    """Refuse a model that runs its repository's code unless ``trust_remote_code``; else name it once.

    Call it with ``folder=None`` before downloading (the catalogue decides), then with the folder
    (its ``auto_map`` decides).

    Raises:
        RemoteCodeError: The model runs code from its repository and ``trust_remote_code`` is False.
    """
    if not isinstance(trust_remote_code, bool):
        raise TypeError(f"trust_remote_code must be True or False, got {type(trust_remote_code).__name__}")
    if revision is not None and (not isinstance(revision, str) or not revision.strip()):
        raise ValueError(f"revision must be a branch, tag or commit id, got {revision!r}")
    classes = remote_code_classes(folder) if folder is not None else {}
    if not classes and not (known is not None and known.remote_code):
        return
    where = f" ({', '.join(sorted(set(classes.values())))})" if classes else ""
    local = folder is not None and Path(spec).expanduser().is_dir()
    source = "the folder" if local else "its repository"
    if not trust_remote_code:
        pin = "" if local else f", revision={revision or '<commit>'!r}"
        raise RemoteCodeError(
            f"{spec} runs Python code from {source}{where}, which the kit does not run unless asked. "
            f"Read that code, then opt in: rerankkit.load({spec!r}, trust_remote_code=True{pin})"
            + ("." if local else " (a commit id pins the code you read).")
        )
    if (spec, revision) in _warned_code:
        return
    _warned_code.add((spec, revision))
    if local:
        pinned = "as it is on disk now"
    elif revision:
        pinned = f"at revision {revision}"
    else:
        pinned = "at whatever revision is current (no revision pins it: pass revision='<commit>')"
    warnings.warn(f"{spec} runs Python code from {source}{where}, {pinned}.", RemoteCodeWarning, stacklevel=3)


def note_licence(spec: str, known: KnownModel | None) -> None:
    """Warn once per process per model when the model's licence forbids commercial use."""
    if known is None or known.commercial_use or known.hub_id in _warned_licence:
        return
    _warned_licence.add(known.hub_id)
    warnings.warn(
        f"{spec} is licensed {known.licence}, which forbids commercial use: use it for research and evaluation only.",
        LicenceWarning,
        stacklevel=3,
    )
