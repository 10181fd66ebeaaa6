"""A broken environment gets one clear error, and `rerankkit doctor` names it with the fix.

The broken environment is made for real in a child process: a distribution record claiming transformers 5.24.0
shadows the installed one, and the module that 5.24.0 removed cannot be imported, exactly as on a machine where
`pip install -U transformers` pulled in 5.24.0.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rerankkit._utils.environment import KNOWN_BREAKS, installed_version, known_breaks

LAUNCH = textwrap.dedent("""
    import importlib.abc, sys

    class Removed(importlib.abc.MetaPathFinder):
        # transformers 5.24.0 no longer has this module; FlagEmbedding 1.4.2 imports it at import time.
        def find_spec(self, name, path=None, target=None):
            if name == "transformers.modeling_attn_mask_utils":
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Removed())
    exec(compile(sys.argv[1], "<test>", "exec"))
""")


@pytest.fixture(scope="module")
def broken_env(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("broken")
    dist = root / "transformers-5.24.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: transformers\nVersion: 5.24.0\n")
    (root / "launch.py").write_text(LAUNCH)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(Path.cwd())])}
    return env


def _run(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    launch = env["PYTHONPATH"].split(os.pathsep)[0] + "/launch.py"
    return subprocess.run([sys.executable, "-W", "always", launch, textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=240)


def test_known_break_matches_only_the_bad_combination():
    assert [b.fix for b in known_breaks({"transformers": "5.24.0", "flagembedding": "1.4.2"})] == ["transformers<5.24"]
    assert known_breaks({"transformers": "5.23.0", "flagembedding": "1.4.2"}) == []
    assert known_breaks({"transformers": "5.24.0", "flagembedding": None}) == []
    assert known_breaks({"transformers": "not-a-version", "flagembedding": "1.4.2"}) == []


def test_the_tested_environment_has_no_known_break():
    assert installed_version("transformers") is not None
    assert known_breaks() == []
    assert all(b.fix and b.what for b in KNOWN_BREAKS)


@pytest.mark.slow
def test_broken_environment_warns_at_import_and_load_names_versions_and_fix(broken_env):
    result = _run(broken_env, """
        import rerankkit
        try:
            rerankkit.load("tiny-random")
        except rerankkit.BrokenEnvironmentError as exc:
            print("ERROR:", exc)
    """)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "BrokenEnvironmentWarning" in result.stderr and "transformers 5.24.0" in result.stderr
    error = result.stdout.split("ERROR:", 1)[1]
    assert "FlagEmbedding cannot be imported" in error
    assert "transformers.modeling_attn_mask_utils" in error
    assert "transformers 5.24.0" in error and "flagembedding 1.4.2" in error
    assert 'pip install "transformers<5.24"' in error and "make setup" in error
    assert "Traceback" not in result.stdout


@pytest.mark.slow
def test_doctor_reports_the_broken_environment_with_the_fix(broken_env):
    result = _run(broken_env, """
        import sys
        from rerankkit.cli import main
        sys.exit(main(["doctor", "--json", "--model", "tiny-random"]))
    """)
    assert result.returncode == 1, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["ready"] is False
    by_name = {f["name"]: f for f in report["findings"]}
    assert by_name["flagembedding"]["status"] == "fail"
    assert by_name["known-break"]["status"] == "fail"
    assert by_name["known-break"]["fix"] == 'pip install "transformers<5.24"'
    assert by_name["transformers"]["detail"] == "transformers 5.24.0"


def test_doctor_passes_here_and_prints_one_line_per_component(capsys):
    from rerankkit.cli import main

    code = main(["doctor", "--model", "tiny-random"])
    out = capsys.readouterr().out
    assert code == 0, out
    for name in ("python", "torch", "transformers", "flagembedding", "hf-cache", "rerankkit-cache", "model"):
        assert any(line.split("] ", 1)[-1].startswith(name) for line in out.splitlines()), name
    assert out.rstrip().splitlines()[-1].startswith("READY")


def test_doctor_names_a_missing_model_and_the_download_command(tmp_path, monkeypatch):
    from rerankkit.doctor import run_checks

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    model = next(f for f in run_checks(model="BAAI/bge-reranker-v2-m3") if f.name == "model")
    assert model.status == "warn" and model.fix == "rerankkit download --model BAAI/bge-reranker-v2-m3"


def test_doctor_on_tiny_random_of_a_hub_id():
    from rerankkit.doctor import run_checks

    checks = run_checks(model="tiny-random:cross-encoder/ms-marco-MiniLM-L6-v2")
    model = next(f for f in checks if f.name == "model")
    assert model.status == "ok" and "built locally" in model.detail
    checks = run_checks(model="tiny-random:Alibaba-NLP/gte-multilingual-reranker-base")
    model = next(f for f in checks if f.name == "model")
    assert model.status == "fail" and "trust_remote_code=True" in model.detail


def test_doctor_warns_when_fonts_for_the_notebook_languages_are_missing(monkeypatch, tmp_path):
    from rerankkit import doctor

    fake = tmp_path / "fc-list"
    fake.write_text("#!/bin/sh\necho 'DejaVu Sans'\necho 'Noto Sans Arabic'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    finding = doctor._fonts()
    assert finding.status == "warn" and "Chinese, Japanese, Korean" in finding.detail and "Devanagari" in finding.detail
    assert "fonts-noto-cjk fonts-noto-core" in finding.fix
    monkeypatch.setenv("PATH", "/nonexistent")
    assert doctor._fonts().status == "warn"


def test_doctor_finds_the_fonts_installed_here():
    from rerankkit import doctor

    if shutil.which("fc-list") is None:
        pytest.skip("no fontconfig on this machine")
    finding = doctor._fonts()
    assert finding.name == "fonts" and finding.status in {"ok", "warn"}
    assert (finding.status == "ok") == (finding.fix == "")
