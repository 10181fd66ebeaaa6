"""Packaging stays consistent: conda and pip list the same packages; CI runs the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for items in project["optional-dependencies"].values():
        reqs += [r for r in items if not r.startswith("rerankkit[")]
    return {_name(r): r.replace(" ", "") for r in reqs}


def _conda_requirements() -> dict[str, str]:
    text = (ROOT / "environment.yml").read_text()
    pip_block = text.split("- pip:", 1)[1]
    items = [line.strip()[2:].strip() for line in pip_block.splitlines() if line.strip().startswith("- ")]
    return {_name(r): r.replace(" ", "") for r in items if not r.startswith("-e")}


# The linters of tests/test_lint.py, which skips (saying so) where they are not installed; environment.yml
# belongs to the conda set-up and gains them separately.
LINTERS = {"ruff", "mypy"}


def test_environment_yml_matches_pyproject():
    conda = {k: v for k, v in _conda_requirements().items() if k not in LINTERS}
    assert conda == {k: v for k, v in _pyproject_requirements().items() if k not in LINTERS}


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make lab" in readme
    assert re.search(r"^make test$", ci, re.M)


def test_notebooks_are_committed_without_outputs():
    import json

    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert paths, "no notebooks found under notebooks/"
    for path in paths:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs"), f"{path.name} has outputs: clear them before committing"
                assert cell.get("execution_count") is None, f"{path.name} has execution counts"
