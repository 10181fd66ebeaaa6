"""Packaging stays consistent: the lock covers pyproject's ranges, conda installs the lock, CI runs the README's command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"


def _pyproject_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for items in project["optional-dependencies"].values():
        reqs += [r for r in items if not r.startswith("rerankkit[")]
    return [Requirement(r) for r in reqs]


def _lock() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for n, line in enumerate(LOCK.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        assert match, f"{LOCK.name} line {n} is not an exact pin (name==version): {line!r}"
        name = canonicalize_name(match[1])
        assert name not in pins, f"{LOCK.name} line {n}: {name} is pinned twice"
        pins[name] = Version(match[2])
    return pins


def _makefile_torch() -> str:
    match = re.search(r"^TORCH\s*\?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert match, "the Makefile sets no TORCH default"
    return match[1]


def test_lock_pins_every_requirement_within_its_range():
    pins = _lock()
    for req in _pyproject_requirements():
        name = canonicalize_name(req.name)
        if name == "torch":
            continue  # installed first by the Makefile, checked below
        assert name in pins, f"{req} (pyproject.toml) is missing from {LOCK.name}: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{LOCK.name} pins {name}=={pins[name]}, outside pyproject's range {req}: run `make lock`"
        )


def test_lock_leaves_torch_and_rerankkit_to_the_makefile():
    pins = _lock()
    assert "torch" not in pins and "rerankkit" not in pins
    torch_pin = Version(_makefile_torch().split("==", 1)[1])
    torch_req = next(r for r in _pyproject_requirements() if r.name == "torch")
    assert torch_req.specifier.contains(torch_pin)


def test_known_breaks_stay_excluded():
    # FlagEmbedding 1.4.2 does not import with transformers 5.24.0 (see the comment in pyproject.toml).
    transformers = next(r for r in _pyproject_requirements() if r.name == "transformers")
    assert not transformers.specifier.contains("5.24.0")
    assert _lock()["transformers"] < Version("5.24")


def test_environment_yml_installs_the_lock():
    text = (ROOT / "environment.yml").read_text()
    pip_block = text.split("- pip:", 1)[1]
    items = [line.strip()[2:].strip() for line in pip_block.splitlines() if line.strip().startswith("- ")]
    assert items == [_makefile_torch(), "-r requirements/lock.txt", "-e ."]
    python = re.search(r"^\s*- python=(\S+)", text, re.M)
    generated_on = re.search(r"on Python (\d+\.\d+)", LOCK.read_text())
    assert python and generated_on and python[1] == generated_on[1], "environment.yml's Python differs from the lock's"


def test_makefile_installs_from_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert "--no-deps -r $(LOCK)" in makefile and "pip check" in makefile
    assert re.search(r"^LOCK\s*:=\s*requirements/lock.txt$", makefile, re.M)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make lab" in readme
    assert re.search(r"^make test$", ci, re.M)


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path: Path):
    import json

    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{path.name} has outputs: clear them before committing"
            assert cell.get("execution_count") is None, f"{path.name} has execution counts"


def test_notebooks_exist():
    assert sorted((ROOT / "notebooks").glob("*.ipynb")), "no notebooks found under notebooks/"
