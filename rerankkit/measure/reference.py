"""The benchmark runs committed with the kit (``benchmarks/reference/*.json``), found wherever the notebook runs.

They are looked up relative to the installed package (a source checkout keeps ``benchmarks/`` beside
``rerankkit/``), not relative to the working directory, so a copied notebooks folder still finds them;
``$RERANKKIT_REFERENCE`` names another folder.

Example:
    >>> folder, note = reference_folder()
    >>> (folder is None) == bool(note)
    True
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["reference_folder", "reference_runs", "reference_tables", "LENGTH_SCALING", "LONG_VS_CHUNKS", "INTERACTIVE"]

# File name patterns of the runs written by `rerankkit bench --json` (a table: environment, units, rows).
LENGTH_SCALING = "length_scaling_*.json"
LONG_VS_CHUNKS = "long_vs_chunks_*.json"
INTERACTIVE = "interactive_latency_*.json"
# The runs of benchmarks/cpu_fast_paths.py (other benchmarks commit their own files beside them).
FAST_PATHS = "cpu_fast_paths_*.json"

_CHECKOUT = Path(__file__).resolve().parents[2] / "benchmarks" / "reference"


def reference_folder() -> tuple[Path | None, str]:
    """``(folder, "")`` when the committed reference runs are found, else ``(None, why and how to point at them)``."""
    override = os.environ.get("RERANKKIT_REFERENCE")
    candidates = [Path(override)] if override else [_CHECKOUT]
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("*.json")):
            return folder, ""
    where = " or ".join(str(c) for c in candidates)
    return None, (
        f"No committed reference figures found (looked in {where}). They ship in benchmarks/reference/ of the "
        "rerankkit source checkout; set RERANKKIT_REFERENCE to that folder to show them here."
    )


def reference_runs() -> tuple[list[tuple[Path, dict[str, Any]]], str]:
    """Every committed run of the fast-path benchmarks as ``(path, parsed JSON)``, sorted by file name, and the
    note of :func:`reference_folder` (the ``rerankkit bench --json`` tables are :func:`reference_tables`')."""
    folder, note = reference_folder()
    if folder is None:
        return [], note
    return [(path, json.loads(path.read_text(encoding="utf-8"))) for path in sorted(folder.glob(FAST_PATHS))], ""


def reference_tables(pattern: str = LENGTH_SCALING) -> tuple[list[tuple[Path, dict[str, Any]]], str]:
    """The committed ``rerankkit bench --json`` runs whose names match ``pattern`` (e.g. :data:`LENGTH_SCALING`),
    as ``(path, parsed JSON)`` sorted by name, and a note saying what is missing and how to make it when none is.

    Example:
        >>> runs, note = reference_tables("no_such_run_*.json")
        >>> runs, "no_such_run_" in note
        ([], True)
    """
    folder, note = reference_folder()
    if folder is None:
        return [], note
    runs = [(path, json.loads(path.read_text(encoding="utf-8"))) for path in sorted(folder.glob(pattern))]
    if not runs:
        return [], (f"No committed run matches {pattern} in {folder}: none has been measured for the kit yet. "
                    "Make one with `rerankkit bench ... --json > benchmarks/reference/<name>.json`.")
    return runs, ""
