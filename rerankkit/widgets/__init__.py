"""ipywidgets apps for the notebooks. Each app only wires inputs to library functions and
renders results into observable state, so pytest can click it without a browser."""

from __future__ import annotations

from .explain_explorer import ExplainExplorer

__all__: list[str] = ["ExplainExplorer"]
