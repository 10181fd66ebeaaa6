"""The committed reference runs are found relative to the package, and their absence is said."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rerankkit.measure.reference import reference_folder, reference_runs

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
