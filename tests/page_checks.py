"""Checks of a rendered page (a notebook in JupyterLab, an app page in Voila) that the browser tests share.

Three rules, each a plain function over what the page's JavaScript collected, so each has unit tests
(``test_page_checks.py``) and the browser tests only gather and call:

- **stderr**: a notebook writes nothing to stderr, except lines on :data:`ALLOWED_STDERR` (each justified);
- **one notice per page**: random-weights banners are counted on the whole page, widgets' included;
- **nothing wider than its area**: no table, widget or text box reaches past the right edge of its output area.

:func:`page_problems` runs all three on an open Playwright page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

__all__ = ["ALLOWED_STDERR", "PAGE_JS", "stderr_problems", "notice_problems", "overflow_problems", "page_problems"]

# (pattern of a whole line, why it may appear). Keep it short: every entry is noise a reader sees.
ALLOWED_STDERR: tuple[tuple[str, str], ...] = (
    (r"Matplotlib is building the font cache; this may take a moment\.",
     "matplotlib prints it once per machine, on its first import ever; the next run is silent"),
)

# What the page shows: full stderr texts, every banner, and every table, widget and text box that reaches past
# the right edge of its output area (by more than 2 px, rounding).
PAGE_JS = """() => {
  const root = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)') || document.body;
  const stderr = [...root.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
                   .map(o => o.innerText);
  const banners = [...root.querySelectorAll('.rk-banner')].map(b => ({
      inWidget: b.closest('.jupyter-widgets, .widget-box, .lm-Widget.jupyter-widget-HTML') !== null,
      text: b.innerText.slice(0, 80)}));
  const wide = [];
  const areas = root.querySelectorAll('.jp-OutputArea-output, .jp-RenderedHTMLCommon');
  for (const area of areas) {
    const edge = area.getBoundingClientRect().right;
    const seen = new Set();
    for (const el of area.querySelectorAll('table, .widget-box, .widget-html, input[type=text], textarea')) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || seen.has(el)) continue;
      seen.add(el);
      if (box.right > edge + 2) {
        const label = (el.tagName.toLowerCase() + '.' + [...el.classList].slice(0, 2).join('.'));
        wide.push({what: label, text: (el.innerText || el.value || '').slice(0, 60),
                   right: Math.round(box.right), edge: Math.round(edge)});
      }
    }
  }
  return {stderr, banners, wide};
}"""


def stderr_problems(name: str, outputs: Sequence[str],
                    allowed: Sequence[tuple[str, str]] = ALLOWED_STDERR) -> list[str]:
    """One problem per stderr line of a notebook that no allow-list entry matches (a whole-line match).

    Example:
        >>> stderr_problems("00.ipynb", ["Matplotlib is building the font cache; this may take a moment.\\n"])
        []
        >>> stderr_problems("09.ipynb", ["(raylet) INFO worker.py:1 connected"])
        ["09.ipynb: stderr: '(raylet) INFO worker.py:1 connected'"]
    """
    patterns = [re.compile(pattern) for pattern, _why in allowed]
    problems = []
    for text in outputs:
        for line in text.splitlines():
            if line.strip() and not any(p.fullmatch(line.strip()) for p in patterns):
                problems.append(f"{name}: stderr: {line.strip()[:200]!r}")
    return problems


def notice_problems(name: str, banners: Sequence[Mapping[str, object]], *, most: int = 1) -> list[str]:
    """A problem when the page shows more than ``most`` random-weights banners, widgets' banners included.

    Example:
        >>> notice_problems("01.ipynb", [{"inWidget": False, "text": "Random weights."}])
        []
        >>> notice_problems("01.ipynb", [{"inWidget": False, "text": "a"}, {"inWidget": True, "text": "b"}])
        ['01.ipynb: 2 random-weights notices (1 in widgets); one notice per page: a | b']
    """
    if len(banners) <= most:
        return []
    in_widgets = sum(bool(b.get("inWidget")) for b in banners)
    texts = " | ".join(str(b.get("text", ""))[:60] for b in banners)
    return [f"{name}: {len(banners)} random-weights notices ({in_widgets} in widgets); one notice per page: {texts}"]


def overflow_problems(name: str, wide: Sequence[Mapping[str, object]]) -> list[str]:
    """One problem per table, widget or text box that reaches past the right edge of its output area.

    Example:
        >>> overflow_problems("05.ipynb", [{"what": "table.rk-table", "text": "batch", "right": 1400, "edge": 1200}])
        ["05.ipynb: table.rk-table reaches 200 px past its output area's right edge ('batch')"]
    """
    problems = []
    for w in wide:
        past = round(float(str(w["right"])) - float(str(w["edge"])))
        problems.append(f"{name}: {w['what']} reaches {past} px past its output area's right edge "
                        f"({str(w.get('text', ''))!r})")
    return problems


def page_problems(page, name: str, *, check_stderr: bool = True) -> list[str]:
    """All three checks on an open Playwright page (the visible notebook panel, or a Voila page)."""
    state = page.evaluate(PAGE_JS)
    problems = stderr_problems(name, state["stderr"]) if check_stderr else []
    return problems + notice_problems(name, state["banners"]) + overflow_problems(name, state["wide"])
