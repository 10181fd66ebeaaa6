"""The committed reference runs are found relative to the package, and their absence is said."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rerankkit.measure.reference import fast_paths_summary, reference_folder, reference_runs

ROOT = Path(__file__).resolve().parents[2]


def test_found_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("RERANKKIT_REFERENCE", raising=False)
    code = "from rerankkit.measure.reference import reference_folder; print(reference_folder()[0])"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RERANKKIT_REFERENCE", None)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert Path(out) == ROOT / "benchmarks" / "reference"
    runs, note = reference_runs()
    assert runs and note == "" and all("environment" in data for _, data in runs)


def test_a_missing_folder_is_said_with_the_remedy(tmp_path, monkeypatch):
    monkeypatch.setenv("RERANKKIT_REFERENCE", str(tmp_path / "nowhere"))
    folder, note = reference_folder()
    assert folder is None and "nowhere" in note and "RERANKKIT_REFERENCE" in note
    assert reference_runs() == ([], note)


def _swept_run() -> dict:
    def row(path: str, batch: int, rate: float, variant: str = "", chosen: bool = False) -> dict:
        return dict(path=path, batch_size=batch, pairs_per_s=rate, min=rate * 0.9, max=rate * 1.1, variant=variant,
                    fastest_chooses=chosen, kendall_tau_vs_flag=1.0, max_abs_diff_vs_flag=0.0)

    return {
        "batch_sizes": [1, 16],
        "results": [row("FlagReranker fp32", 1, 0.7), row("FlagReranker fp32", 16, 0.3),
                    row("FlagReranker fp32", 128, 0.25), row("rerankkit fp32", 1, 1.0), row("rerankkit fp32", 16, 1.1),
                    row("rerankkit int8 openvino-static", 1, 3.4, chosen=True),
                    row("rerankkit int8 openvino-static", 16, 3.75, chosen=True),
                    row("rerankkit int8 openvino-static", 16, 2.9, variant="token budget off")],
        "headline": {"best_at_best": {"own": "rerankkit int8 openvino-static", "own_batch_size": 16,
                                      "own_pairs_per_s": 3.75, "peer": "FlagReranker fp32", "peer_batch_size": 1,
                                      "peer_pairs_per_s": 0.7, "ratio": 3.75 / 0.7},
                     "same_batch": [{"batch_size": 16, "own": "rerankkit int8 openvino-static", "own_pairs_per_s": 3.75,
                                     "peer": "FlagReranker fp32", "peer_pairs_per_s": 0.3, "ratio": 12.5}]},
        "flag_reranker": {"best_batch_size": 1, "best_pairs_per_s": 0.7, "default_batch_size": 128,
                          "default_pairs_per_s": 0.25, "rerankkit_fp32_best_batch_size": 16,
                          "rerankkit_fp32_pairs_per_s": 1.1, "ratio_vs_flag_best": 1.1 / 0.7,
                          "ratio_vs_flag_default": 1.1 / 0.25},
        "token_budget": {"path": "rerankkit int8 openvino-static", "batch_size": 16, "max_batch_tokens": 1024,
                         "pairs_per_s_with_budget": 3.75, "pairs_per_s_without": 2.9, "ratio": 3.75 / 2.9},
    }


def test_a_swept_run_gives_one_row_per_path_at_its_best_and_both_views():
    table, sentences = fast_paths_summary(_swept_run())
    assert list(table.index) == ["FlagReranker fp32", "rerankkit fp32", "rerankkit int8 openvino-static"]
    assert table.loc["rerankkit int8 openvino-static", "batch 16"] == 3.75  # the budget-off variant is not a path
    assert table["best batch size"].tolist() == [1, 16, 16]
    assert table["dtype='fastest' chooses it"].tolist() == [False, False, True]
    assert table["spread"].round(3).tolist() == [round(1.1 / 0.9, 3)] * 3
    text = "\n".join(sentences)
    assert "own best batch size: rerankkit int8 openvino-static (batch 16, 3.75 pairs/s) over FlagReranker fp32 " \
           "(batch 1, 0.70 pairs/s) = 5.36x" in text
    assert "At batch 16 for both" in text and "12.50x" in text
    assert "at its default batch 128: 4.40x" in text and "(batch 1): 1.57x" in text
    assert "3.75 pairs/s with it, 2.90 without (1.29x)" in text


def test_a_run_at_one_batch_size_says_its_ratios_hold_only_there():
    runs, _ = reference_runs()
    older = [data for path, data in runs if "batch_sizes" not in data]
    assert older, "the committed runs from before the sweep are kept"
    for data in older:
        table, sentences = fast_paths_summary(data)
        assert len(table) == len(data["results"]) and not any("tau" in c for c in table.columns)
        at = f"batch {data['batch_size']}" if "batch_size" in data else "one batch size"
        assert len(sentences) == 1 and sentences[0].startswith(f"This run timed every path at {at}")
        assert sentences[0].endswith("its ratios hold at that batch size, not for a path tuned to its own best batch size.")
