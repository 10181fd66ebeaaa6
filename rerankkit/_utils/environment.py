"""Which versions are installed, which combinations are known to break, and one clear error when they do.

FlagEmbedding imports parts of transformers that transformers has removed more than once (FlagOpen/FlagEmbedding
issues #1304, #1310, #1356, #1455; transformers 5.24.0 removed ``transformers.modeling_attn_mask_utils``). A
learner then meets a traceback a dozen frames deep. This module turns that into one message naming the versions
found and the fix; ``rerankkit doctor`` reports the same findings for the whole environment.

Example:
    >>> from rerankkit._utils.environment import installed_version, known_breaks
    >>> installed_version("no-such-package-xyz") is None
    True
    >>> known_breaks({"transformers": "5.24.0", "flagembedding": "1.4.2"})[0].package
    'transformers'
"""

from __future__ import annotations

import importlib
import importlib.metadata
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from rerankkit.errors import BrokenEnvironmentError, BrokenEnvironmentWarning

__all__ = [
    "KnownBreak",
    "KNOWN_BREAKS",
    "SETUP_FIX",
    "installed_version",
    "known_breaks",
    "warn_known_breaks",
    "import_flagembedding",
]

# What restores the tested versions from a checkout of the kit.
SETUP_FIX = "make setup (installs the tested versions from requirements/lock.txt)"


@dataclass(frozen=True)
class KnownBreak:
    """A version range of ``package`` that breaks ``other`` within ``other_range``.

    Attributes:
        package: The package whose release broke things (canonical name).
        bad: The releases that break, as a specifier (``">=5.24"``).
        other: The package that stops working (canonical name).
        other_range: The releases of ``other`` affected.
        what: What goes wrong, in one sentence.
        fix: The pip command that fixes it.
    """

    package: str
    bad: str
    other: str
    other_range: str
    what: str
    fix: str

    def applies(self, versions: Mapping[str, str | None]) -> bool:
        """Whether the installed ``versions`` (canonical name to version) hit this break."""
        mine, theirs = versions.get(self.package), versions.get(self.other)
        if mine is None or theirs is None:
            return False
        try:
            return Version(mine) in SpecifierSet(self.bad) and Version(theirs) in SpecifierSet(self.other_range)
        except InvalidVersion:
            return False

    def message(self, versions: Mapping[str, str | None]) -> str:
        return (f"{self.package} {versions.get(self.package)} with {self.other} {versions.get(self.other)}: "
                f"{self.what} Fix: pip install \"{self.fix}\", or {SETUP_FIX}.")


KNOWN_BREAKS: tuple[KnownBreak, ...] = (
    KnownBreak(
        package="transformers",
        bad=">=5.24",
        other="flagembedding",
        other_range="<=1.4.2",
        what="transformers 5.24.0 removed transformers.modeling_attn_mask_utils, which FlagEmbedding imports "
             "when it is imported, so `import FlagEmbedding` fails.",
        fix="transformers<5.24",
    ),
)


def installed_version(package: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _versions(packages: tuple[str, ...] = ("torch", "transformers", "flagembedding")) -> dict[str, str | None]:
    return {canonicalize_name(name): installed_version(name) for name in packages}


def known_breaks(versions: Mapping[str, str | None] | None = None) -> list[KnownBreak]:
    """The known breaks that the installed (or the given) versions hit."""
    if versions is None:
        versions = _versions(tuple({b.package for b in KNOWN_BREAKS} | {b.other for b in KNOWN_BREAKS}))
    return [b for b in KNOWN_BREAKS if b.applies(versions)]


def warn_known_breaks() -> list[KnownBreak]:
    """Warn once per known break that the installed versions hit (a :class:`BrokenEnvironmentWarning`)."""
    breaks = known_breaks()
    versions = _versions(tuple({b.package for b in breaks} | {b.other for b in breaks}))
    for found in breaks:
        warnings.warn(found.message(versions), BrokenEnvironmentWarning, stacklevel=3)
    return breaks


def import_flagembedding() -> ModuleType:
    """Import FlagEmbedding, or raise :class:`BrokenEnvironmentError` naming the versions found and the fix."""
    try:
        return importlib.import_module("FlagEmbedding")
    except Exception as exc:  # an import-time break can surface as any exception class
        versions = _versions()
        found = ", ".join(f"{name} {version or 'not installed'}" for name, version in versions.items())
        breaks = known_breaks(versions)
        if versions["flagembedding"] is None:
            cause = 'FlagEmbedding is not installed. Fix: pip install "FlagEmbedding>=1.3", or ' + SETUP_FIX + "."
        elif breaks:
            cause = "Known break: " + " ".join(b.message(versions) for b in breaks)
        else:
            cause = f"Fix: {SETUP_FIX}, or reinstall the versions in requirements/lock.txt."
        raise BrokenEnvironmentError(
            f"FlagEmbedding cannot be imported ({type(exc).__name__}: {exc}). Found: {found}. {cause} "
            "`rerankkit doctor` checks the whole environment."
        ) from exc
