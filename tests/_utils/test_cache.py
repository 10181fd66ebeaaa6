"""Cached builds: two processes building the same folder at once, and a deliberate rebuild."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rerankkit._utils.cache import MARKER_FILE, atomic_folder

# One builder: signals that it is building, waits for the other to be building too, then finishes when told.
# The first to finish keeps reading the folder until the second has finished: every read must succeed.
BUILDER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from rerankkit._utils.cache import MARKER_FILE, atomic_folder

    target, sync, me, other, first = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] == "1"

    def wait_for(path):
        deadline = time.monotonic() + 60
        while not path.exists():
            if time.monotonic() > deadline:
                sys.exit(f"{me}: gave up waiting for {path}")
            time.sleep(0.01)

    with atomic_folder(target) as work:
        (work / "payload.txt").write_text(me)
        (work / MARKER_FILE).write_text("{}")
        (sync / f"building-{me}").touch()
        wait_for(sync / f"building-{other}")
        if not first:
            wait_for(target / MARKER_FILE)  # the other one has finished
    (sync / f"done-{me}").touch()
    if first:
        reads = 0
        while not (sync / f"done-{other}").exists():
            assert (target / "payload.txt").read_text() in ("a", "b")
            reads += 1
        print(f"reads {reads}")
""")


@pytest.mark.slow
def test_two_processes_building_the_same_folder_keep_the_first_and_never_pull_it_away(tmp_path):
    target, sync = tmp_path / "cache" / "model", tmp_path / "sync"
    sync.mkdir()
    script = tmp_path / "builder.py"
    script.write_text(BUILDER)
    procs = [subprocess.Popen([sys.executable, str(script), str(target), str(sync), me, other, first],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for me, other, first in (("a", "b", "1"), ("b", "a", "0"))]
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (_out, err) in zip(procs, results):
        assert proc.returncode == 0, err[-2000:]
    assert results[0][0].startswith("reads ")
    assert (target / "payload.txt").read_text() == "a"  # the first finished build is kept
    assert sorted(p.name for p in target.parent.iterdir()) == ["model"]  # the second build is cleaned away


def test_a_deliberate_rebuild_replaces_the_folder(tmp_path):
    target = tmp_path / "model"
    for text in ("old", "new"):
        with atomic_folder(target) as work:
            (work / "payload.txt").write_text(text)
            (work / MARKER_FILE).write_text("{}")
    assert (target / "payload.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_stale_folder_without_its_marker_is_replaced(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "half-written.bin").write_text("x")
    with atomic_folder(target) as work:
        (work / MARKER_FILE).write_text("{}")
    assert sorted(p.name for p in target.iterdir()) == [MARKER_FILE]


def test_a_failed_build_leaves_nothing(tmp_path):
    target = tmp_path / "model"
    with pytest.raises(RuntimeError), atomic_folder(target) as work:
        (work / "partial.bin").write_text("x")
        raise RuntimeError("build failed")
    assert list(tmp_path.iterdir()) == []
    assert not Path(target).exists()
