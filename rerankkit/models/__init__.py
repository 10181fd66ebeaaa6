"""Models: the catalogue of known rerankers, the Hub, devices and dtypes, synthetic test models.

The catalogue's names are re-exported here (``from rerankkit.models import lookup``).
"""

from rerankkit.models.catalogue import DEFAULT_MODEL, KNOWN_MODELS, KnownModel, ModelKind, lookup

__all__ = ["DEFAULT_MODEL", "ModelKind", "KnownModel", "KNOWN_MODELS", "lookup"]
