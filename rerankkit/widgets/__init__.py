"""ipywidgets apps for the notebooks. Each app only wires inputs to library functions and
renders results into observable state, so pytest can click it without a browser."""

from __future__ import annotations

__all__: list[str] = []

from .timing_dashboard import TimingDashboard  # noqa: E402

__all__ += ["TimingDashboard"]
