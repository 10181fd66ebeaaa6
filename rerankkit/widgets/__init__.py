"""ipywidgets apps for the notebooks. Each app only wires inputs to library functions and
renders results into observable state, so pytest can click it without a browser."""

from __future__ import annotations

from rerankkit.widgets.cross_lingual_explorer import CrossLingualExplorer
from rerankkit.widgets.evaluation_explorer import EvaluationExplorer
from rerankkit.widgets.explain_explorer import ExplainExplorer
from rerankkit.widgets.playground import ScoringPlayground
from rerankkit.widgets.rag_explorer import RagExplorer
from rerankkit.widgets.reranker_picker import RerankerPicker
from rerankkit.widgets.timing_dashboard import TimingDashboard
from rerankkit.widgets.trap_explorer import TrapExplorer

__all__: list[str] = [
    "CrossLingualExplorer",
    "EvaluationExplorer",
    "ExplainExplorer",
    "RagExplorer",
    "RerankerPicker",
    "ScoringPlayground",
    "TimingDashboard",
    "TrapExplorer",
]
