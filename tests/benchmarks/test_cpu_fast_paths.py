"""benchmarks/cpu_fast_paths.py: the pair lengths it promises, its calibration strings, and (slow) a whole run with peers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import cpu_fast_paths  # noqa: E402


@pytest.fixture(scope="module")
def xlmr_tokenizer():
    from transformers import AutoTokenizer

    from rerankkit.models.xlmr_tokenizer import real_tokenizer_path

    folder = real_tokenizer_path()
    if folder is None:
        pytest.skip("the real XLM-R tokenizer is not available here (offline extra)")
    return AutoTokenizer.from_pretrained(str(folder))


@pytest.mark.slow  # preparing the real tokenizer takes tens of seconds
@pytest.mark.parametrize("n", [24, 7])
def test_pairs_span_min_median_max_in_real_xlmr_tokens(xlmr_tokenizer, n: int) -> None:
    pairs = cpu_fast_paths.length_controlled_pairs(xlmr_tokenizer, n, (89, 232, 373))
    lengths = np.array([len(xlmr_tokenizer(q, p)["input_ids"]) for q, p in pairs])
    assert len(pairs) == n
    assert (lengths.min(), float(np.median(lengths)), lengths.max()) == (89, 232.0, 373)
    queries = [len(xlmr_tokenizer(q, add_special_tokens=False)["input_ids"]) for q, _ in pairs]
    assert min(queries) >= 5 and max(queries) <= 24  # 5-20 tokens, the last word may add a few


@pytest.mark.slow  # preparing the real tokenizer takes tens of seconds
def test_the_peer_calibrates_on_the_kits_own_calibration_pairs(xlmr_tokenizer) -> None:
    from rerankkit.backends.calibration import CALIBRATION_SIZE, calibration_pairs

    texts, identical = cpu_fast_paths.calibration_texts(xlmr_tokenizer)
    assert len(texts) == identical == CALIBRATION_SIZE
    for text, (query, passage) in zip(texts, calibration_pairs(), strict=True):
        pair_ids = xlmr_tokenizer(query, passage, truncation="only_second", max_length=512)["input_ids"]
        assert xlmr_tokenizer(text)["input_ids"] == pair_ids


@pytest.mark.parametrize("flag, value", [("--lengths", "300:200:100"), ("--lengths", "short"), ("--peers", "tensorrt"),
                                         ("--batch-sizes", "0,4"), ("--batch-sizes", "four")])
def test_bad_lengths_batch_sizes_and_peer_names_are_refused_by_argument(monkeypatch, capsys, flag: str, value: str) -> None:
    monkeypatch.setattr(sys, "argv", ["cpu_fast_paths.py", flag, value])
    with pytest.raises(SystemExit) as exit_info:
        cpu_fast_paths.main()
    assert exit_info.value.code == 2 and flag in capsys.readouterr().err


def _run(tmp_path: Path, *options: str) -> dict:
    out = tmp_path / "run.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "cpu_fast_paths.py"), "--model", "tiny-random",
                    "--pairs", "6", "--repeats", "2", "--batch-sizes", "1,4", "--bf16", "no", *options,
                    "--json", str(out)],
                   check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=1500, capture_output=True)
    return json.loads(out.read_text())


def _check_sweep(report: dict) -> dict[tuple[str, int, str], dict]:
    """Every path at every batch size once, a marked fastest path, and a headline over distinct paths."""
    rows = {(r["path"], r["batch_size"], r["variant"]): r for r in report["results"]}
    assert len(rows) == len(report["results"])
    paths = {path for path, _, variant in rows if not variant}
    for path in paths:
        assert {b for p, b, v in rows if p == path and not v} >= {1, 4}
    for row in rows.values():
        assert row["repeats"] == 2 and row["min"] <= row["pairs_per_s"] <= row["max"]
        assert -1.0 <= row["kendall_tau_vs_flag"] <= 1.0
    chosen = {r["path"] for r in rows.values() if r["fastest_chooses"]}
    assert chosen == {report["fastest_chooses"]} and not any(p.startswith("rerankkit fastest") for p in paths)
    top = report["headline"]["best_at_best"]
    best_own = max((r for r in rows.values() if r["path"].startswith("rerankkit") and not r["variant"]),
                   key=lambda r: r["pairs_per_s"])
    assert (top["own"], top["own_batch_size"], top["own_pairs_per_s"]) == (
        best_own["path"], best_own["batch_size"], best_own["pairs_per_s"])
    assert top["peer"] in paths and not top["peer"].startswith("rerankkit")
    assert [v["batch_size"] for v in report["headline"]["same_batch"]] == [1, 4]
    off = [r for r in rows.values() if r["variant"]]
    assert [(r["path"], r["batch_size"]) for r in off] == [(report["fastest_chooses"], 4)]
    assert report["token_budget"]["pairs_per_s_without"] == off[0]["pairs_per_s"]
    assert report["busy_above"] == report["threads"] + 1
    assert set(report["busy_rounds"]) <= {1, 2} and len(report["load_average_1min"]) == 3
    assert report["tokens_per_pair"] == {"min": 89, "median": 232.0, "max": 373}
    return rows


@pytest.mark.slow
def test_a_tiny_run_sweeps_batch_sizes_and_reports_each_path_once(tmp_path: Path) -> None:
    report = _run(tmp_path, "--int8-backends", "torch", "--no-st", "--peers", "none")
    rows = _check_sweep(report)
    flag = report["flag_reranker"]
    assert flag["default_batch_size"] == 128 and flag["best_batch_size"] in (1, 4, 128)
    assert ("FlagReranker fp32", 128, "") in rows
    assert flag["ratio_vs_flag_best"] == pytest.approx(flag["rerankkit_fp32_pairs_per_s"] / flag["best_pairs_per_s"])
    assert "calibration pairs" in report["calibration"]


@pytest.mark.slow
def test_a_tiny_run_times_in_process_and_peer_contenders_together(tmp_path: Path) -> None:
    peers = [name for name, (folder, _) in cpu_fast_paths.PEER_ENVS.items() if (ROOT / folder / "bin" / "python").exists()]
    if not peers:
        pytest.skip("no peer environment: python benchmarks/cpu_fast_paths.py --setup-peers")
    report = _run(tmp_path, "--int8-backends", "torch", "--no-st", "--no-flag-default", "--peers", ",".join(peers))
    rows = _check_sweep(report)
    workers = {path for (path, _, _), r in rows.items() if r["where"] == "worker"}
    hosted = [c for name in peers for c in cpu_fast_paths.PEER_ENVS[name][1]]
    assert len(workers) == len(hosted), report["notes"]
    assert set(report["peer_environments"]) == set(peers)
    assert "avx512_vnni" in report["cpu"]["isa"]
