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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["reference_folder", "reference_runs", "reference_tables", "fast_paths_summary", "LENGTH_SCALING",
           "LONG_VS_CHUNKS", "INTERACTIVE"]

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


def fast_paths_summary(data: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """One run of ``benchmarks/cpu_fast_paths.py`` as a table of speeds and the sentences its figures support.

    A run that swept batch sizes gives one row per path: pairs/s at each batch size (median over rounds), the
    path's best batch size and its spread (the largest max/min over rounds, 1.0 = the rounds agreed). The
    sentences give rerankkit's fastest path over the fastest peer path with each at its own best batch size
    (the fair comparison), the same at each nominal batch size, rerankkit fp32 against FlagReranker at its
    default and at its best batch size, and what the token budget did at the largest batch size. An older run
    timed every path at one batch size: its rows come back as they are, and the sentence says its ratios hold
    only at that batch size. Agreement columns are left out: on random weights they only show that the paths
    compute the same function.

    Example:
        >>> row = dict(variant="", min=1.0, max=1.1, fastest_chooses=False)
        >>> data = {"batch_sizes": [1, 4], "results": [
        ...     {**row, "path": "rerankkit int8", "batch_size": 1, "pairs_per_s": 3.0},
        ...     {**row, "path": "rerankkit int8", "batch_size": 4, "pairs_per_s": 4.0},
        ...     {**row, "path": "peer int8", "batch_size": 1, "pairs_per_s": 3.5},
        ...     {**row, "path": "peer int8", "batch_size": 4, "pairs_per_s": 2.0}],
        ...     "headline": {"best_at_best": {"own": "rerankkit int8", "own_batch_size": 4, "own_pairs_per_s": 4.0,
        ...                                   "peer": "peer int8", "peer_batch_size": 1, "peer_pairs_per_s": 3.5,
        ...                                   "ratio": 4.0 / 3.5}, "same_batch": []}}
        >>> table, sentences = fast_paths_summary(data)
        >>> int(table.loc["peer int8", "best batch size"]), sentences[0].split(":")[0]
        (1, 'Each path at its own best batch size')
    """
    import pandas as pd

    results = pd.DataFrame(data["results"])
    if "batch_sizes" not in data:
        batch = data.get("batch_size")
        table = results.drop(columns=[c for c in results.columns if "tau" in c or "diff" in c or "each_repeat" in c])
        if {"min", "max"} <= set(table.columns):
            table["spread"] = table["max"] / table["min"]
        at = f"batch {batch}" if batch else "one batch size (its contender names say which)"
        return table, [f"This run timed every path at {at} only: its ratios hold at that batch size, "
                       "not for a path tuned to its own best batch size."]
    swept = results[results["variant"] == ""]
    table = swept.pivot(index="path", columns="batch_size", values="pairs_per_s")
    table = table.loc[list(dict.fromkeys(swept["path"]))]  # the run's order, not alphabetical
    table.columns = [f"batch {b}" for b in table.columns]
    best = swept.loc[swept.groupby("path")["pairs_per_s"].idxmax()].set_index("path")
    table["best batch size"] = best["batch_size"]
    table["spread"] = (swept["max"] / swept["min"]).groupby(swept["path"]).max()
    chosen = swept.loc[swept["fastest_chooses"], "path"].unique()
    table["dtype='fastest' chooses it"] = table.index.isin(chosen)

    def side(view: dict, who: str) -> str:
        return f"{view[who]} (batch {view[who + '_batch_size']}, {view[who + '_pairs_per_s']:.2f} pairs/s)"

    top = data["headline"]["best_at_best"]
    sentences = [f"Each path at its own best batch size: {side(top, 'own')} over {side(top, 'peer')} = "
                 f"{top['ratio']:.2f}x."]
    sentences += [f"At batch {view['batch_size']} for both: {view['own']} over {view['peer']} = {view['ratio']:.2f}x."
                  for view in data["headline"]["same_batch"]]
    flag = data.get("flag_reranker") or {}
    if flag.get("rerankkit_fp32_pairs_per_s"):
        default = (f"; over FlagReranker at its default batch {flag['default_batch_size']}: "
                   f"{flag['ratio_vs_flag_default']:.2f}x" if flag.get("default_batch_size") else "")
        sentences.append(f"rerankkit fp32 at its best over FlagReranker fp32 at its best (batch "
                         f"{flag['best_batch_size']}): {flag['ratio_vs_flag_best']:.2f}x{default}.")
    budget = data.get("token_budget")
    if budget:
        sentences.append(f"The token budget ({budget['max_batch_tokens']} padded tokens per CPU batch) on {budget['path']} "
                         f"at batch {budget['batch_size']}: {budget['pairs_per_s_with_budget']:.2f} pairs/s with it, "
                         f"{budget['pairs_per_s_without']:.2f} without ({budget['ratio']:.2f}x).")
    return table, sentences
