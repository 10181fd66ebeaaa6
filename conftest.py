"""Test-session defaults: hermetic and offline, notebooks on the tiny random model.

Also the record of what the suite collects: ``tests/collected_ids.txt`` lists every test id of the whole suite,
and ``tests/test_collected_ids.py`` fails when one of them is no longer collected (see docs/contributing.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Nothing in the suite may reach the Hugging Face Hub; notebooks read RERANKKIT_MODEL.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RERANKKIT_MODEL", "tiny-random")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MPLBACKEND", "Agg")


def _share_the_cores() -> None:
    """Under pytest-xdist, give each worker (and what it starts: kernels, Ray, the service) its share of the cores.

    Two workers whose torch each runs one thread per core keep 2x the threads busy that the machine has; OpenMP
    threads then spin-wait for each other, and small models (all the suite uses) ran 2.5x slower that way.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)
    if workers < 2:
        return
    share = str(max(1, (os.cpu_count() or 1) // workers))
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, share)
    if "torch" in sys.modules:  # torch read the variable when it was imported: set its pool too
        sys.modules["torch"].set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


_share_the_cores()

ROOT = Path(__file__).resolve().parent
COLLECTED_IDS = ROOT / "tests" / "collected_ids.txt"
_WHOLE_SUITE = pytest.StashKey[tuple[list[str], list[str]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--write-collected-ids", action="store_true",
                     help=f"write the ids of the whole suite's tests to {COLLECTED_IDS.relative_to(ROOT)} "
                          "(make test-ids)")


def _is_whole_suite(config: pytest.Config) -> bool:
    """Whether this run collects the default test paths (``make test``, ``make test-fast``, a bare ``pytest``)."""
    paths = config.getini("testpaths")
    # -k, -m and --deselect act after the ids are read; these change what is collected.
    if config.option.ignore or config.option.ignore_glob or config.getoption("lf", False):
        return False
    return sorted(Path(str(a)).resolve() for a in config.args) == sorted((ROOT / p).resolve() for p in paths)


_skipped_modules: list[str] = []


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped and report.nodeid:  # a module skipped as a whole (a missing optional package)
        _skipped_modules.append(report.nodeid)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    # Notebooks run by nbmake are notebook tests, slow ones: the fast tier leaves them out.
    for item in items:
        if item.nodeid.endswith(".ipynb") or ".ipynb::" in item.nodeid:
            item.add_marker(pytest.mark.notebook)
            item.add_marker(pytest.mark.slow)
    # Before -m and -k deselect anything: the ids of every test collected.
    if _is_whole_suite(config):
        ids = [_plain_id(item) for item in items]
        config.stash[_WHOLE_SUITE] = (ids, list(_skipped_modules))
        if config.getoption("--write-collected-ids"):
            write_collected_ids(ids)
    if getattr(config.option, "loadgroup", False):
        _name_groups(items)
        _longest_groups_first(items)


# xdist hands out work in collection order; the two long chains start first, so that the short tests fill in
# around them instead of one chain starting when most of the suite is done.
GROUP_ORDER = {"browser": 0, "serial": 1}


def _group_names(item: pytest.Item) -> list[str]:
    """The names of the item's ``xdist_group`` marks, sorted and without repeats."""
    return sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                   for m in item.iter_markers("xdist_group")})


def _longest_groups_first(items: list[pytest.Item]) -> None:
    """Move the tests of the groups in :data:`GROUP_ORDER` to the front, in that order (stable otherwise)."""
    def rank(item: pytest.Item) -> int:
        return min((GROUP_ORDER.get(g, len(GROUP_ORDER)) for g in _group_names(item)), default=len(GROUP_ORDER))

    items.sort(key=rank)


def _name_groups(items: list[pytest.Item]) -> None:
    """Suffix each grouped test's id with ``@group``, which is how ``--dist loadgroup`` sends a group to one worker.

    pytest-xdist 3.8 does this by assigning ``item._nodeid``, which pytest 9 no longer reads (the id lives in
    ``item._id``), so without this every ``xdist_group`` test would be scheduled as if it had none.
    """
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = _group_names(item)
        if names and not item.nodeid.endswith(f"@{'_'.join(names)}"):
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(names)}")


def _plain_id(item: pytest.Item) -> str:
    """The test's id without the ``@group`` suffix pytest-xdist's loadgroup may have added."""
    group = item.get_closest_marker("xdist_group")
    if group is not None:
        name = group.args[0] if group.args else group.kwargs.get("name", "")
        return item.nodeid.removesuffix(f"@{name}")
    return item.nodeid


def write_collected_ids(ids: list[str]) -> None:
    COLLECTED_IDS.write_text(
        "# Every test id the whole suite collects (make test-ids writes it; tests/test_collected_ids.py checks it).\n"
        "# A test that is removed or renamed must leave this list in the same change.\n"
        + "".join(f"{i}\n" for i in sorted(set(ids))),
        encoding="utf-8",
    )


@pytest.fixture(scope="session")
def committed_test_ids() -> list[str]:
    """The ids in tests/collected_ids.txt, in file order."""
    lines = COLLECTED_IDS.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def _collect_in_subprocess() -> tuple[list[str], list[str]]:
    """Collect the whole suite in a fresh pytest (when this run collected only part of it)."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-rs", "-p", "no:cacheprovider",
                           "-o", "addopts=--doctest-modules --nbmake"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    if proc.returncode not in (0, 5):
        raise AssertionError(f"collecting the whole suite failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    ids = [line for line in proc.stdout.splitlines() if "::" in line or line.endswith(".ipynb")]
    skipped = [line.split("] ", 1)[1].split(":", 1)[0] for line in proc.stdout.splitlines()
               if line.startswith("SKIPPED [")]
    return ids, skipped


@pytest.fixture(scope="session")
def collected_test_ids(request: pytest.FixtureRequest) -> tuple[list[str], list[str]]:
    """The ids the whole suite collects, and the modules skipped as a whole while collecting."""
    found = request.config.stash.get(_WHOLE_SUITE, None)
    return found if found is not None else _collect_in_subprocess()
