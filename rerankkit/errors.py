"""Exceptions that rerankkit raises, each naming the problem and the remedy."""

from __future__ import annotations

__all__ = [
    "ModelUnavailableError",
    "MissingDependencyError",
    "BrokenEnvironmentError",
    "BrokenEnvironmentWarning",
    "check_positive_int",
]


class ModelUnavailableError(RuntimeError):
    """The model's files are neither on disk nor downloadable right now.

    The message always names at least one remedy: ``rerankkit download``,
    a local path, or the ``RERANKKIT_MODEL`` environment variable.
    """


class MissingDependencyError(ImportError):
    """An optional package is needed for this feature; the message names the ``pip install`` to run."""


def check_positive_int(value: object, name: str, *, allow_none: bool = False) -> int | None:
    """Return ``value`` if it is an int >= 1 (or None, when allowed); else a ValueError naming ``name``.

    Example:
        >>> check_positive_int(8, "batch_size")
        8
        >>> check_positive_int(0, "batch_size")
        Traceback (most recent call last):
        ...
        ValueError: batch_size must be a positive int, got 0
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int{' or None' if allow_none else ''}, got {value!r}")
    return value


def require(module: str, *, pip_name: str | None = None, feature: str = "this feature"):
    """Import an optional module, or raise :class:`MissingDependencyError` with the install command.

    Example:
        >>> json = require("json")
        >>> json.dumps([1])
        '[1]'
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        name = pip_name or module
        raise MissingDependencyError(
            f"{feature} needs the optional package {name!r}. Install it with: pip install {name}"
        ) from exc


class BrokenEnvironmentError(ImportError):
    """A required package (FlagEmbedding, transformers, torch) cannot be imported, or is a known-bad combination.

    The message names the versions found and the command that fixes it; ``rerankkit doctor`` checks everything.
    """


class BrokenEnvironmentWarning(UserWarning):
    """Installed versions form a combination known to break; the message names the fix."""
