"""The documentation: a README that fits one screen, and a docs site that builds in strict mode with every link whole.

The site is built once (``mkdocs build --strict``, as ``make docs`` does) into a temporary folder; the checks then read
the built HTML, so they see what a reader's browser sees, the rendered notebooks included.
"""

from __future__ import annotations

import ast
import html
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# Every section heading the README had before its details moved into docs/: a search of the site for each must find
# a page section with that heading (markup removed).
MOVED_README_HEADINGS = [
    "Set-up: two commands",
    "Is this machine ready? rerankkit doctor",
    "Keeping the set-up working",
    "Model weights",
    "Offline: the real tokenizer and a real bi-encoder",
    "Quick start",
    "Explaining a score",
    "Command line",
    "Other rerankers: rerankkit models, tiny-random:<hub id>, trust_remote_code",
    "Timing without the weights: random:<hub id>",
    "Fast paths",
    "Measured figures (CPU)",
    "Length scaling and interactive latency (CPU)",
    "Notebooks",
    "The scoring playground",
    "Cases, first-stage retrieval and metrics",
    "Evaluate on your own data and on benchmarks",
    "Reranking at scale (Ray Data)",
    "On this machine (no set-up)",
    "On a Ray cluster",
    "Layout",
    "Tests",
    "Benchmarks",
]

# One screen of a terminal or a browser window: the README's set-up and quick start must fit in it.
SCREEN_LINES = 40
SCREEN_COLUMNS = 120


def _plain(text: str) -> str:
    """Heading text without markup: tags, entities, Markdown backticks and the permalink sign removed."""
    text = html.unescape(re.sub(r"<[^>]+>", "", text)).replace("`", "").replace("¶", "")
    return " ".join(text.split())


# --- the README (fast: no build) ---------------------------------------------------------------------------------


def test_readme_fits_one_screen_to_the_end_of_its_quick_start():
    lines = README.read_text().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("```python")), None)
    assert start is not None, "README.md has no quick start (a ```python block)"
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("```"))
    assert end + 1 <= SCREEN_LINES, (
        f"README.md's quick start ends on line {end + 1}, past one screen ({SCREEN_LINES} lines): move details to docs/"
    )
    wide = [n for n, line in enumerate(lines[: end + 1], start=1) if len(line) > SCREEN_COLUMNS]
    assert not wide, f"README.md lines {wide} are wider than {SCREEN_COLUMNS} columns"
    assert "make lab" in "\n".join(lines[:start]) and "make test" in "\n".join(lines[:start]), (
        "README.md must give the two set-up commands (make lab, make test) before its quick start"
    )


def test_readme_lists_every_notebook_and_its_local_links_resolve():
    text = README.read_text()
    targets = [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if not urlsplit(t).scheme]
    missing = [t for t in targets if not (ROOT / unquote(urlsplit(t).path)).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"
    unlisted = [p.name for p in NOTEBOOKS if f"notebooks/{p.name}" not in targets]
    assert not unlisted, f"README.md's notebook list lacks {unlisted}: add one line for each"


def test_the_notebooks_section_lists_every_notebook():
    section = (ROOT / "docs" / "notebooks" / "index.md").read_text()
    unlisted = [p.name for p in NOTEBOOKS if f"]({p.name})" not in section]
    assert not unlisted, f"docs/notebooks/index.md's table lacks {unlisted}: add one row for each"


# --- the site (slow: one strict build) ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs", reason="the docs tools are not installed: pip install -e '.[docs]' (or make setup)")
    out = tmp_path_factory.mktemp("docs") / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out), "--config-file",
         str(ROOT / "mkdocs.yml")],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, f"mkdocs build --strict failed (run make docs):\n{result.stderr[-6000:]}"
    return out


class _Links(HTMLParser):
    """Collects the ids a page defines and the links it makes (href and src)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)
            elif name in ("href", "src") and value is not None and tag in ("a", "link", "script", "img", "source"):
                self.links.append(value)


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def _target(page: Path, path: str, site: Path) -> Path | None:
    """The file a relative link from ``page`` opens (a folder opens its index.html), or None if there is none."""
    if path.startswith("/"):  # 404.html links from the site's root, wherever it is shown
        target = (site / unquote(path.lstrip("/"))).resolve()
    else:
        target = (page.parent / unquote(path)).resolve() if path else page
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() and target.is_relative_to(site.resolve()) else None


@pytest.mark.slow
@pytest.mark.xdist_group("docs")  # one worker, one build of the site
def test_every_internal_link_and_anchor_in_the_site_resolves(site: Path):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20, f"the site has only {len(pages)} pages"
    parsed = {p.resolve(): _parse(p) for p in pages}
    broken = []
    for page, links in parsed.items():
        for link in links.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                continue
            target = _target(page, parts.path, site)
            where = f"{page.relative_to(site.resolve())}: {link}"
            if target is None:
                broken.append(f"{where} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target.resolve()].ids if target.resolve() in parsed else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{where} (no anchor #{parts.fragment})")
    assert not broken, f"{len(broken)} broken links in the built site:\n" + "\n".join(broken[:40])


@pytest.mark.slow
@pytest.mark.xdist_group("docs")  # one worker, one build of the site
def test_the_site_fetches_no_fonts_from_the_web(site: Path):
    offenders = [p.relative_to(site).as_posix() for p in site.rglob("*.html")
                 if "fonts.googleapis.com" in p.read_text(encoding="utf-8")]
    assert not offenders, f"pages that load web fonts (set theme.font: false): {offenders[:5]}"


@pytest.mark.slow
@pytest.mark.xdist_group("docs")  # one worker, one build of the site
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_is_a_page_with_its_text_and_code(site: Path, notebook: Path):
    page = site / "notebooks" / notebook.stem / "index.html"
    assert page.is_file(), f"{notebook.name} has no page: add `- notebooks/{notebook.name}` to nav in mkdocs.yml"
    cells = json.loads(notebook.read_text())["cells"]
    heading = next(line for c in cells if c["cell_type"] == "markdown"
                   for line in "".join(c["source"]).splitlines() if line.startswith("# "))
    text = page.read_text(encoding="utf-8")
    assert _plain(heading[2:]) in _plain(text), f"{page} does not show {notebook.name}'s title {heading!r}"
    first_code = next("".join(c["source"]) for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip())
    first_line = first_code.strip().splitlines()[0]
    assert _plain(first_line) in _plain(text), f"{page} does not show {notebook.name}'s code"


@pytest.mark.slow
@pytest.mark.xdist_group("docs")  # one worker, one build of the site
def test_every_section_the_readme_lost_has_a_page_with_its_heading(site: Path):
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    titles: dict[str, list[str]] = {}
    for entry in index["docs"]:
        titles.setdefault(_plain(entry["title"]), []).append(entry["location"])
    missing = [h for h in MOVED_README_HEADINGS if h not in titles]
    assert not missing, f"no page section has these former README headings: {missing}"


def _public_names(module: str) -> list[str]:
    """``__all__`` of a rerankkit module, read from its source (nothing is imported)."""
    path = ROOT / Path(*module.split("."))
    source = (path / "__init__.py") if path.is_dir() else path.with_suffix(".py")
    for node in ast.parse(source.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return [name for name in ast.literal_eval(node.value) if not name.startswith("__")]
    raise AssertionError(f"{source} has no __all__")


API_PAGES = sorted((ROOT / "docs" / "api").glob("*.md"))


@pytest.mark.slow
@pytest.mark.xdist_group("docs")  # one worker, one build of the site
@pytest.mark.parametrize("page", [p for p in API_PAGES if p.stem != "index"], ids=lambda p: p.stem)
def test_the_api_reference_documents_every_public_name(site: Path, page: Path):
    modules = re.findall(r"^::: *([\w.]+)", page.read_text(), re.M)
    assert modules, f"{page} documents no module (a line `::: rerankkit.<module>`)"
    built = _parse(site / "api" / page.stem / "index.html")
    text = (site / "api" / page.stem / "index.html").read_text(encoding="utf-8")
    documented = {m for p in API_PAGES for m in re.findall(r"^::: *([\w.]+)", p.read_text(), re.M)}
    for module in modules:
        # A public submodule (rerankkit.cases) has a page of its own rather than an entry on its parent's.
        missing = [n for n in _public_names(module) if f"{module}.{n}" not in built.ids | documented]
        assert not missing, (
            f"{page.name}: {module}'s public names without an entry (or, for a module, a docs/api page): {missing}"
        )
    roles = re.findall(r":(?:class|func|meth|mod|data|attr|exc):", text)
    assert not roles, f"{page.name} shows Sphinx role markup ({len(roles)}x) instead of links or code"
