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


def test_calibration_strings_are_distinct_case_set_texts() -> None:
    from rerankkit import cases

    strings = cpu_fast_paths.calibration_strings()
    queries = {case.query for name in cases.names() for case in cases.load(name)}
    assert len(strings) == 32 and len(set(strings)) == 32
    assert all(any(s.startswith(q + " ") for q in queries) for s in strings)


@pytest.mark.parametrize("flag, value", [("--lengths", "300:200:100"), ("--lengths", "short"), ("--peers", "tensorrt")])
def test_bad_lengths_and_peer_names_are_refused_by_argument(monkeypatch, capsys, flag: str, value: str) -> None:
    monkeypatch.setattr(sys, "argv", ["cpu_fast_paths.py", flag, value])
    with pytest.raises(SystemExit) as exit_info:
        cpu_fast_paths.main()
    assert exit_info.value.code == 2 and flag in capsys.readouterr().err


@pytest.mark.slow
def test_a_tiny_run_times_in_process_and_peer_contenders_together(tmp_path: Path) -> None:
    peers = [name for name, (folder, _) in cpu_fast_paths.PEER_ENVS.items() if (ROOT / folder / "bin" / "python").exists()]
    if not peers:
        pytest.skip("no peer environment: python benchmarks/cpu_fast_paths.py --setup-peers")
    out = tmp_path / "run.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "cpu_fast_paths.py"), "--model", "tiny-random",
                    "--pairs", "8", "--repeats", "2", "--int8-backends", "torch", "--bf16", "no", "--no-st",
                    "--peers", ",".join(peers), "--json", str(out)],
                   check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=1500, capture_output=True)
    report = json.loads(out.read_text())
    rows = {r["contender"]: r for r in report["results"]}
    workers = [r for r in rows.values() if r["where"] == "worker"]
    hosted = [c for name in peers for c in cpu_fast_paths.PEER_ENVS[name][1]]
    assert len(workers) == len(hosted), report["notes"]
    for row in rows.values():
        assert row["repeats"] == 2 and row["min"] <= row["pairs_per_s"] <= row["max"]
        assert -1.0 <= row["kendall_tau_vs_flag"] <= 1.0
    assert report["headline"]["fastest_peer"] in rows and report["headline"]["fastest_own"].startswith("rerankkit")
    assert set(report["peer_environments"]) == set(peers)
    assert "avx512_vnni" in report["cpu"]["isa"]
    assert report["tokens_per_pair"] == {"min": 89, "median": 232.0, "max": 373}
