"""Every exception and warning rerankkit raises, each naming the problem and the remedy."""

from __future__ import annotations

__all__ = [
    "ModelUnavailableError",
    "MissingDependencyError",
    "BrokenEnvironmentError",
    "BrokenEnvironmentWarning",
    "CaseDataError",
    "TruncationWarning",
    "ConvergenceWarning",
    "SlowExplanationWarning",
    "RemoteCodeError",
    "RemoteCodeWarning",
    "LicenceWarning",
]


class ModelUnavailableError(RuntimeError):
    """The model's files are neither on disk nor downloadable right now.

    The message always names at least one remedy: ``rerankkit download``,
    a local path, or the ``RERANKKIT_MODEL`` environment variable.
    """


class MissingDependencyError(ImportError):
    """An optional package is needed for this feature; the message names the ``pip install`` to run."""


class CaseDataError(ValueError):
    """A case file breaks the schema; the message names the file, the entry and the fix."""


class TruncationWarning(UserWarning):
    """Some pairs were longer than max_length and lost tokens from the end of the passage."""


class ConvergenceWarning(UserWarning):
    """Integrated gradients did not converge: attributions do not add up to the score change."""


class SlowExplanationWarning(UserWarning):
    """The explanation about to run is estimated to take a while; the message gives the estimate."""


class BrokenEnvironmentError(ImportError):
    """A required package (FlagEmbedding, transformers, torch) cannot be imported, or is a known-bad combination.

    The message names the versions found and the command that fixes it; ``rerankkit doctor`` checks everything.
    """


class BrokenEnvironmentWarning(UserWarning):
    """Installed versions form a combination known to break; the message names the fix."""


class RemoteCodeError(ValueError):
    """The model runs Python code from its repository and the caller did not allow it.

    The message names the repository and how to opt in:
    ``load(model, trust_remote_code=True, revision="<commit>")``.
    """


class RemoteCodeWarning(UserWarning):
    """A model about to run code from its repository; the message names the repository and the revision."""


class LicenceWarning(UserWarning):
    """The model's licence forbids commercial use; the message names the licence."""
