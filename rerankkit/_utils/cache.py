"""Where rerankkit keeps what it builds, and how a folder appears complete or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["cache_root", "atomic_folder", "MARKER_FILE"]

MARKER_FILE = "rerankkit.json"


def cache_root() -> Path:
    """Folder where rerankkit keeps models it builds (``RERANKKIT_CACHE``, else ``~/.cache/rerankkit``)."""
    env = os.environ.get("RERANKKIT_CACHE")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rerankkit"



@contextlib.contextmanager
def atomic_folder(target: Path, *, marker: str = MARKER_FILE) -> Iterator[Path]:
    """Yield an empty sibling folder of ``target`` to build in; on success it becomes ``target``.

    Readers never see a half-built folder: it appears complete, by one rename, or not at all.
    If another process finished the same build first (its ``marker`` file exists), theirs is kept.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        yield workdir
        if target.exists():
            shutil.rmtree(target)
        try:
            workdir.rename(target)
        except OSError:
            if not (target / marker).exists():
                raise
    finally:
        if workdir.exists():
            shutil.rmtree(workdir, ignore_errors=True)
