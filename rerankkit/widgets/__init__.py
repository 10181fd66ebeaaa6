"""ipywidgets apps for the notebooks. Each app only wires inputs to library functions and
renders results into observable state, so pytest can click it without a browser."""

from __future__ import annotations

__all__: list[str] = []

from .cross_lingual_explorer import CrossLingualExplorer  # noqa: E402
from .trap_explorer import TrapExplorer  # noqa: E402

__all__ += ["TrapExplorer", "CrossLingualExplorer"]
