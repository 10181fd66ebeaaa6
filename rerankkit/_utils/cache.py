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
    When two processes build the same missing folder at once, the first to finish wins and the
    other's build is dropped, so a folder another process may already be reading is never
    replaced. A folder that was complete before the build started (a deliberate rebuild) is
    replaced: moved aside by one rename, then deleted.

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "built"
        >>> with atomic_folder(target) as work:
        ...     _ = (work / MARKER_FILE).write_text("{}")
        >>> sorted(p.name for p in target.iterdir())
        ['rerankkit.json']
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    rebuild = (target / marker).exists()
    workdir = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        yield workdir
        if not rebuild and (target / marker).exists():
            return  # another process finished the same build first: keep theirs, readers may be using it
        if target.exists():  # a deliberate rebuild, or a stale folder without its marker
            aside = Path(tempfile.mkdtemp(prefix=".replaced-", dir=target.parent))
            try:
                target.rename(aside / target.name)
            except FileNotFoundError:
                pass  # another process moved it first
            shutil.rmtree(aside, ignore_errors=True)
        try:
            workdir.rename(target)
        except OSError:
            if not (target / marker).exists():
                raise
    finally:
        if workdir.exists():
            shutil.rmtree(workdir, ignore_errors=True)
