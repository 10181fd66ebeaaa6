"""A damaged or partial model folder is a ModelUnavailableError naming the folder, the problem and the fix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import rerankkit
from rerankkit.cli import build_parser
from rerankkit.models.hub import fetch_model


@pytest.fixture
def folder(tiny_path, tmp_path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(tiny_path, copy)
    return copy


def _refusal(folder: Path) -> rerankkit.ModelUnavailableError:
    """The error loading the folder raises; it names the folder and the fix."""
    with pytest.raises(rerankkit.ModelUnavailableError) as info:
        rerankkit.load(str(folder))
    message = str(info.value)
    assert str(folder) in message and "Fix:" in message
    return info.value


def _load_error(folder: Path) -> str:
    return str(_refusal(folder))


def _cut_in_half(path: Path) -> None:
    """What a download cut short leaves."""
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def test_a_whole_copy_loads(folder, tiny):
    assert rerankkit.load(str(folder), device="cpu").score("q", "p") == pytest.approx(tiny.score("q", "p"))


def test_truncated_weights(folder):
    _cut_in_half(folder / "model.safetensors")
    assert "model.safetensors is truncated or damaged" in _load_error(folder)


def test_weights_header_too_large(folder):
    # What a corrupt file gives safetensors: "Error while deserializing header: header too large".
    weights = folder / "model.safetensors"
    weights.write_bytes((2**40).to_bytes(8, "little") + weights.read_bytes()[8:])
    assert "its header claims" in _load_error(folder)


def test_git_lfs_pointer_instead_of_weights(folder):
    (folder / "model.safetensors").write_text("version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 9\n")
    assert "Git LFS pointer" in _load_error(folder)


def test_truncated_tokenizer_json_is_named_before_loading(folder):
    _cut_in_half(folder / "tokenizer.json")
    assert "tokenizer.json is damaged (not valid JSON)" in _load_error(folder)


def test_tokenizer_json_damaged_inside_is_named_when_the_load_fails(folder):
    # Both ends intact, so the quick check before loading passes; the tokenizer's parse fails, then the
    # thorough check names the file.
    tokenizer = folder / "tokenizer.json"
    data = tokenizer.read_bytes()
    middle = len(data) // 2
    tokenizer.write_bytes(data[:middle] + b"\x00not json\x00" + data[middle:])
    error = _refusal(folder)
    assert "tokenizer.json is damaged (not valid JSON)" in str(error)
    assert error.__cause__ is not None  # the library's own error stays attached for whoever digs


def test_missing_tokenizer_files(folder):
    for path in folder.iterdir():
        if path.name.startswith(("tokenizer", "sentencepiece", "vocab", "special_tokens")):
            path.unlink()
    assert "no tokenizer files" in _load_error(folder)


def test_config_without_architecture(folder):
    config = json.loads((folder / "config.json").read_text())
    config.pop("architectures")
    (folder / "config.json").write_text(json.dumps(config))
    message = _load_error(folder)
    assert "names no architecture" in message and "save_pretrained" in message


def _fake_hub_cache(root: Path, source: Path, repo: str = "BAAI/fake-reranker") -> Path:
    # The Hugging Face cache layout: models--org--name/{refs/main, snapshots/<revision>/...}.
    base = root / f"models--{repo.replace('/', '--')}"
    (base / "refs").mkdir(parents=True)
    (base / "refs" / "main").write_text("0" * 40)
    snapshot = base / "snapshots" / ("0" * 40)
    shutil.copytree(source, snapshot)
    return snapshot


def test_damaged_cached_download_names_the_force_download(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    snapshot = _fake_hub_cache(tmp_path / "hub", folder)
    assert fetch_model("BAAI/fake-reranker", cache_dir=tmp_path / "hub") == snapshot
    weights = snapshot / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(rerankkit.ModelUnavailableError, match="damaged") as info:
        fetch_model("BAAI/fake-reranker", cache_dir=tmp_path / "hub")
    assert "rerankkit download --model BAAI/fake-reranker --force" in str(info.value)


def test_download_takes_force():
    args = build_parser().parse_args(["download", "--model", "BAAI/bge-reranker-v2-m3", "--force"])
    assert args.force is True
    assert build_parser().parse_args(["download"]).force is False
