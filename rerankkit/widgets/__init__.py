"""ipywidgets apps for the notebooks. Each app only wires inputs to library functions and
renders results into observable state, so pytest can click it without a browser."""

from __future__ import annotations

from .playground import ScoringPlayground

__all__: list[str] = ["ScoringPlayground"]
