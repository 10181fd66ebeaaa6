"""Model specs and the Hugging Face Hub: which spec to load, and its local folder (cache first)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from rerankkit.errors import ModelUnavailableError
from rerankkit.models.catalogue import DEFAULT_MODEL
from rerankkit.models.files import check_model_folder, problems

__all__ = ["resolve_model_id", "fetch_model", "local_model_folder"]

# Files a reranker needs; skips duplicate weight formats (ONNX, .bin next to .safetensors).
_ALLOW_PATTERNS = ["*.json", "*.safetensors", "*.model", "*.txt", "*.py", "tokenizer*"]


def resolve_model_id(model: str | os.PathLike | None) -> str:
    """Return the spec to load: ``model``, else ``$RERANKKIT_MODEL``, else the default model.

    Example:
        >>> resolve_model_id("tiny-random")
        'tiny-random'
    """
    if model is None:
        model = os.environ.get("RERANKKIT_MODEL") or DEFAULT_MODEL
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model must be a hub id, a folder path or 'tiny-random', got {type(model).__name__}")
    spec = os.fspath(model).strip()
    if not spec:
        raise ValueError("model is empty: pass a hub id such as 'BAAI/bge-reranker-v2-m3', a folder, or 'tiny-random'")
    return spec


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _remedies(hub_id: str) -> str:
    return (
        "Remedies: run `rerankkit download --model "
        f"{hub_id}` on a machine with network access (it fills the Hugging Face cache); "
        "or pass a local folder, e.g. rerankkit.load('/path/to/model'); "
        "or set RERANKKIT_MODEL=tiny-random to explore offline with random weights."
    )


def fetch_model(
    hub_id: str,
    *,
    cache_dir: str | os.PathLike | None = None,
    download: bool = True,
    allow_patterns: list[str] | None = None,
    force: bool = False,
    revision: str | None = None,
) -> Path:
    """Return the local folder of a hub model, from the cache or by downloading it once.

    Downloads show a progress bar. Offline (``HF_HUB_OFFLINE=1``, ``download=False`` or no
    network) a model missing from the cache raises :class:`ModelUnavailableError` at once.

    Args:
        hub_id: Repository id, e.g. ``BAAI/bge-reranker-v2-m3``.
        cache_dir: Hugging Face hub cache to use (default: the standard one).
        download: Allow downloading when the cache lacks the model.
        allow_patterns: Files to fetch (default: a reranker's config, tokenizer and safetensors weights).
        force: Download every file again, replacing a damaged or partial copy in the cache.
        revision: Branch, tag or commit to fetch (default: the main branch); a commit pins the files.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
    )

    cache = os.fspath(cache_dir) if cache_dir is not None else None
    patterns = allow_patterns or _ALLOW_PATTERNS
    damaged: list[str] = []
    if not force:
        with contextlib.suppress(LocalEntryNotFoundError, FileNotFoundError, OSError):
            folder = Path(snapshot_download(hub_id, cache_dir=cache, local_files_only=True, allow_patterns=patterns,
                                            revision=revision))
            damaged = problems(folder)
            if not damaged:
                return folder
    if damaged and (not download or _offline()):
        raise ModelUnavailableError(
            f"the cached copy of {hub_id} at {folder} is incomplete or damaged: {'; '.join(damaged)}. "
            f"Fix: run `rerankkit download --model {hub_id} --force` on a machine with network access."
        )
    if not download or _offline():
        why = "HF_HUB_OFFLINE is set" if _offline() else "downloading was not allowed"
        raise ModelUnavailableError(
            f"{hub_id}{f' at revision {revision}' if revision else ''} is not in the Hugging Face cache and {why}. "
            f"{_remedies(hub_id)}"
        )
    try:
        folder = Path(snapshot_download(hub_id, cache_dir=cache, allow_patterns=patterns, etag_timeout=10,
                                        force_download=force or bool(damaged), revision=revision))
    except (RepositoryNotFoundError, GatedRepoError) as exc:
        raise ModelUnavailableError(
            f"{hub_id} was not found on the Hugging Face Hub (or it is private or gated: log in with `hf auth login`). "
            "Check the spelling, or pass a local folder."
        ) from exc
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as exc:
        raise ModelUnavailableError(
            f"{hub_id} could not be downloaded ({type(exc).__name__}: {str(exc).splitlines()[0]}). {_remedies(hub_id)}"
        ) from exc
    return check_model_folder(folder, fix=f"run `rerankkit download --model {hub_id} --force`")



def local_model_folder(spec: str, fetch: Callable[[str], Path], *, what: str = "model") -> Path:
    """The folder of a model named by a path or a hub id: an existing folder as given, else ``fetch(spec)``.

    A path that does not exist, or a folder without ``config.json``, is a ValueError naming it;
    ``what`` ("model", "encoder") names the kind of folder in those messages.

    Example:
        >>> local_model_folder("./no-such-folder", fetch_model)
        Traceback (most recent call last):
        ...
        ValueError: model folder './no-such-folder' does not exist (hub ids look like 'org/name')
    """
    folder = Path(spec).expanduser()
    if folder.is_dir():
        folder = folder.resolve()
        if not (folder / "config.json").is_file():
            raise ValueError(f"{folder} is a folder but has no config.json: point model at a saved {what} folder")
        return folder
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1:
        raise ValueError(f"{what} folder {spec!r} does not exist (hub ids look like 'org/name')")
    return fetch(spec)
