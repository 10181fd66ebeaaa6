"""The page checks the browser tests share, on what a page showed before they existed."""

from __future__ import annotations

import re

from page_checks import ALLOWED_STDERR, notice_problems, overflow_problems, stderr_problems

# What notebook 09 printed on stderr (Ray's logs), abridged.
RAY_STDERR = ("2026-12-01 10:00:01,000\tINFO worker.py:1888 -- Started a local Ray instance.\n"
              "[2026-12-01 10:00:02,000 E 123 456] core_worker.cc:512: the actor restart will fail\n")


def test_any_stderr_line_fails_unless_allowed():
    problems = stderr_problems("09_at_scale.ipynb", [RAY_STDERR])
    assert len(problems) == 2 and all(p.startswith("09_at_scale.ipynb: stderr:") for p in problems)
    assert stderr_problems("00.ipynb", ["", "\n"]) == []


def test_the_allow_list_is_short_justified_and_matches_whole_lines():
    assert 0 < len(ALLOWED_STDERR) <= 5
    assert all(len(why) > 20 for _pattern, why in ALLOWED_STDERR)
    line = "Matplotlib is building the font cache; this may take a moment."
    assert stderr_problems("x", [line]) == []
    assert stderr_problems("x", [line + " and then a traceback"])  # a whole line, not a prefix
    assert all(re.compile(p) for p, _ in ALLOWED_STDERR)


def test_widget_banners_count_with_the_notebooks():
    # Before: the notebook's notice plus the playground's own banner passed (only banners outside widgets counted).
    page = [{"inWidget": False, "text": "Random weights. tiny-random"},
            {"inWidget": True, "text": "Random weights. tiny-random"}]
    assert notice_problems("01_single_scoring.ipynb", page) == [
        "01_single_scoring.ipynb: 2 random-weights notices (1 in widgets); one notice per page: "
        "Random weights. tiny-random | Random weights. tiny-random"]
    assert notice_problems("01_single_scoring.ipynb", page[:1]) == []
    assert notice_problems("00.ipynb", []) == []


def test_anything_past_the_right_edge_is_reported():
    wide = [{"what": "table.rk-table", "text": "model ms_per_call", "right": 1710.4, "edge": 1240}]
    assert overflow_problems("08.ipynb", wide) == [
        "08.ipynb: table.rk-table reaches 470 px past its output area's right edge ('model ms_per_call')"]
    assert overflow_problems("08.ipynb", []) == []
