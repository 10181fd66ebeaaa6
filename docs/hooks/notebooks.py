"""MkDocs hook: the repository's numbered notebooks become pages under ``notebooks/``, their links pointing into the site.

The notebooks stay where JupyterLab opens them (``notebooks/`` at the repository root); this hook adds each
``notebooks/NN_*.ipynb`` to the site's files before mkdocs-jupyter renders it. Their Markdown links are written for
JupyterLab (``../README.md``, ``02_batching.ipynb``), so on a notebook's page each relative link to a file the site
renders (the README, a page under ``docs/``, another notebook) is rewritten to that page's address. A link to
anything else is left as it is, and the link check in ``tests/test_docs.py`` reports it.

mkdocs-jupyter builds a notebook's table of contents from a Markdown copy, whose heading ids drop inline code
(``## 3. `max_length` and truncation`` becomes ``#3-and-truncation``), while the page's headings keep it
(``#3-max_length-and-truncation``); the hook points each contents entry at the heading the page really has.
"""

from __future__ import annotations

import html
import posixpath
import re
from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = "notebooks"
PATTERN = "[0-9][0-9]_*.ipynb"
_HREF = re.compile(r'(<a\b[^>]*?\bhref=")([^"]*)(")')
_HEADING = re.compile(r'<h([1-6])\b[^>]*?\bid="([^"]+)"[^>]*>(.*?)</h\1>', re.S)


def notebook_paths(root: Path = ROOT) -> list[Path]:
    """The numbered notebooks the site renders, in order."""
    return sorted((root / NOTEBOOKS).glob(PATTERN))


@event_priority(50)  # before mkdocs-jupyter's on_files, which turns .ipynb files into pages
def on_files(files: Files, config: MkDocsConfig) -> Files:
    for path in notebook_paths():
        files.append(File(f"{NOTEBOOKS}/{path.name}", src_dir=str(ROOT), dest_dir=config.site_dir,
                          use_directory_urls=config.use_directory_urls))
    return files


def _site_file(repo_path: str, files: Files) -> File | None:
    """The site file rendered from ``repo_path`` (relative to the repository root), if the site has one."""
    if repo_path == "README.md":
        return files.get_file_from_path("index.md")
    if repo_path.startswith("docs/"):
        return files.get_file_from_path(repo_path[len("docs/"):])
    if repo_path.startswith(f"{NOTEBOOKS}/"):
        return files.get_file_from_path(repo_path)
    return None


def on_page_content(output: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return output
    notebook_dir = posixpath.dirname(page.file.src_uri)

    def rewrite(match: re.Match[str]) -> str:
        href = match[2]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
            return match[0]
        target = _site_file(posixpath.normpath(posixpath.join(notebook_dir, parts.path)), files)
        if target is None:
            return match[0]
        url = target.url_relative_to(page.file) + (f"#{parts.fragment}" if parts.fragment else "")
        return f"{match[1]}{url}{match[3]}"

    content = _HREF.sub(rewrite, output)
    _fix_toc(page, content)
    return content


def _plain(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).replace("¶", "").split())


def _flatten(items: list[AnchorLink]) -> list[AnchorLink]:
    return [entry for item in items for entry in (item, *_flatten(item.children))]


def _fix_toc(page: Page, content: str) -> None:
    """Point the page's contents entries at the headings the page has (in order; by title where counts differ)."""
    headings = [(anchor, _plain(title)) for _, anchor, title in _HEADING.findall(content)]
    entries = _flatten(list(page.toc))
    ids = {anchor for anchor, _ in headings}
    by_title = {title: anchor for anchor, title in reversed(headings)}
    for n, entry in enumerate(entries):
        if len(entries) == len(headings):
            entry.id, entry.title = headings[n]  # the title too: the Markdown copy's lost its inline code
        elif entry.id not in ids and _plain(entry.title) in by_title:
            entry.id = by_title[_plain(entry.title)]
