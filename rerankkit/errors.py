"""Exceptions that rerankkit raises, each naming the problem and the remedy."""

from __future__ import annotations

__all__ = ["ModelUnavailableError", "MissingDependencyError"]


class ModelUnavailableError(RuntimeError):
    """The model's files are neither on disk nor downloadable right now.

    The message always names at least one remedy: ``rerankkit download``,
    a local path, or the ``RERANKKIT_MODEL`` environment variable.
    """


class MissingDependencyError(ImportError):
    """An optional package is needed for this feature; the message names the ``pip install`` to run."""


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
