"""``rerankkit prepare --check``: an empty cache is not ready (each item with its fix); a filled one is."""

from __future__ import annotations

import shutil
from pathlib import Path

import huggingface_hub.constants
import pytest

from rerankkit.cli import main
from rerankkit.evaluation import readiness
from rerankkit.evaluation.datasets import dataset_cache_dir, load_fixture, save
from rerankkit.models.synthetic import tiny_random_path


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Empty Hugging Face and rerankkit caches, offline."""
    hub = tmp_path / "hub"
    hub.mkdir()
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hub))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("RERANKKIT_CACHE", str(tmp_path / "rerankkit"))
    return hub


def _into_hub_cache(hub: Path, repo_id: str, folder: Path) -> None:
    """Lay a model folder out as the Hugging Face cache does (refs/main -> snapshots/<commit>)."""
    repo = hub / f"models--{repo_id.replace('/', '--')}"
    commit = "0" * 40
    shutil.copytree(folder, repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)


def test_check_on_an_empty_cache_names_each_missing_item_and_its_fix(caches, capsys):
    assert main(["prepare", "--check"]) == 1
    out = capsys.readouterr().out
    for kind, name, _, _ in readiness.SPECS:
        line = next(line for line in out.splitlines() if name in line and "MISSING" in line)
        fix = "rerankkit prepare --dataset" if kind == "dataset" else "rerankkit download --model"
        assert f"fix: {fix} {name}" in line and ("GB" in line or "MB" in line)
    assert out.strip().splitlines()[-1].startswith("NOT ready for offline use: missing BAAI/bge-reranker-v2-m3")


@pytest.mark.slow
def test_check_passes_when_the_tiny_models_stand_in(caches, monkeypatch, capsys):
    tiny = tiny_random_path()  # built offline by the kit
    _into_hub_cache(caches, "rerankkit/tiny-reranker", tiny)
    _into_hub_cache(caches, "rerankkit/tiny-encoder", tiny)
    save(load_fixture(), dataset_cache_dir("fixture-standin"))
    monkeypatch.setattr(readiness, "SPECS", [
        ("model", "rerankkit/tiny-reranker", "notebooks", 1_000_000),
        ("encoder", "rerankkit/tiny-encoder", "notebooks", 1_000_000),
        ("dataset", "fixture-standin", "notebook 07", 10_000),
    ])
    assert main(["prepare", "--check"]) == 0
    out = capsys.readouterr().out
    assert out.count("  ok ") == 3 and "MISSING" not in out
    assert out.strip().splitlines()[-1] == "ready for offline use: 3 items (2.0 MB)"
    # one item goes missing: exit 1, and only that item is named
    shutil.rmtree(dataset_cache_dir("fixture-standin"))
    assert main(["prepare", "--check"]) == 1
    out = capsys.readouterr().out
    assert "MISSING  dataset  fixture-standin" in out and "fix: rerankkit prepare --dataset fixture-standin" in out


def test_prepare_offline_reports_what_could_not_be_fetched(caches, monkeypatch, capsys):
    monkeypatch.setattr(readiness, "SPECS", [("model", "rerankkit/not-cached", "notebooks", 5_000)])
    assert main(["prepare"]) == 1
    out = capsys.readouterr().out
    assert "[1/1] model rerankkit/not-cached (5.0 kB)" in out
    assert "failed:" in out and "HF_HUB_OFFLINE" in out
    assert out.strip().splitlines()[-1].startswith("NOT ready for offline use: missing rerankkit/not-cached")
