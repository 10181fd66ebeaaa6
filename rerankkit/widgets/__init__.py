"""ipywidgets apps for the notebooks. Each app only wires inputs to library functions and
renders results into observable state, so pytest can click it without a browser."""

from __future__ import annotations

from .cross_lingual_explorer import CrossLingualExplorer
from .evaluation_explorer import EvaluationExplorer
from .explain_explorer import ExplainExplorer
from .playground import ScoringPlayground
from .timing_dashboard import TimingDashboard
from .trap_explorer import TrapExplorer

__all__: list[str] = [
    "CrossLingualExplorer",
    "EvaluationExplorer",
    "ExplainExplorer",
    "ScoringPlayground",
    "TimingDashboard",
    "TrapExplorer",
]
