"""Griffe extension: read the kit's docstrings as they are written, for the API reference.

Two habits of the package's docstrings that Google-style parsing would otherwise render badly:

- ``Example:`` opens the doctest section (griffe reads only ``Examples:`` as one, and would render the doctest
  output lines as Markdown, where ``[0, 2]`` looks like a link).
- Sphinx roles such as ``:func:`load``` and ``:class:`Ranking``` name other objects. Each becomes a link to that
  object's entry when the reference documents it, and plain code otherwise (never a broken link).

Only the reference's copy of a docstring changes; the source and its doctests stay as they are.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE = re.compile(r"^Example:\s*$", re.M)
_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|data|attr|exc|obj|const):`(~?)([\w.]+)(\(\))?`")


def _resolve(obj: griffe.Object, name: str, loader: griffe.GriffeLoader) -> str | None:
    """The full path ``name`` means where ``obj`` is documented, or None when it cannot be resolved."""
    head, _, rest = name.partition(".")
    try:
        path = obj.resolve(head)
    except (griffe.NameResolutionError, ValueError):
        path = head  # an absolute path such as rerankkit.scoring.load
    full = f"{path}.{rest}" if rest else path
    try:
        loader.modules_collection.get_member(full)
    except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None
    return full


class KitDocstrings(griffe.Extension):
    """Turns ``Example:`` into ``Examples:`` and Sphinx roles into optional cross-references."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        self.on_object(obj=pkg, loader=loader)  # the package's own docstring is not an on_object event

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        docstring = obj.docstring
        if docstring is None:
            return

        def role(match: re.Match[str]) -> str:
            short, name, parens = match[1], match[2], match[3] or ""
            shown = (name.rsplit(".", 1)[-1] if short else name) + parens
            path = _resolve(obj, name, loader)
            if path is None:
                return f"`{shown}`"
            return f'<autoref identifier="{path}" optional><code>{shown}</code></autoref>'

        docstring.value = _ROLE.sub(role, _EXAMPLE.sub("Examples:", docstring.value))
