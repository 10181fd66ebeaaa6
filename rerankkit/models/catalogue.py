"""Catalogue of known rerankers: which FlagEmbedding class runs them, and their limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["DEFAULT_MODEL", "ModelKind", "KnownModel", "KNOWN_MODELS", "lookup"]

DEFAULT_MODEL = "BAAI/bge-reranker-v2-m3"

ModelKind = Literal["encoder", "llm", "layerwise"]


@dataclass(frozen=True)
class KnownModel:
    """What the kit knows about one reranker on the Hugging Face Hub.

    Attributes:
        hub_id: Repository id on the Hub.
        kind: ``"encoder"`` (cross-encoder), ``"llm"`` (decoder LLM reranker) or
            ``"layerwise"`` (decoder LLM scored from a chosen layer).
        flag_class: Name of the FlagEmbedding class that runs it.
        max_tokens: Longest pair (in tokens, special tokens included) the model accepts.
        note: One line for people choosing a model.
    """

    hub_id: str
    kind: ModelKind
    flag_class: str
    max_tokens: int
    note: str


KNOWN_MODELS: dict[str, KnownModel] = {
    m.hub_id: m
    for m in (
        KnownModel(
            "BAAI/bge-reranker-v2-m3", "encoder", "FlagReranker", 8192,
            "Multilingual XLM-RoBERTa-large cross-encoder (568M parameters); the kit's default.",
        ),
        KnownModel(
            "BAAI/bge-reranker-base", "encoder", "FlagReranker", 512,
            "Chinese and English XLM-RoBERTa-base cross-encoder (278M parameters).",
        ),
        KnownModel(
            "BAAI/bge-reranker-large", "encoder", "FlagReranker", 512,
            "Chinese and English XLM-RoBERTa-large cross-encoder (560M parameters).",
        ),
        KnownModel(
            "BAAI/bge-reranker-v2-gemma", "llm", "FlagLLMReranker", 8192,
            "Gemma-2B decoder reranker, scored by the logit of 'Yes'; needs a GPU in practice.",
        ),
        KnownModel(
            "BAAI/bge-reranker-v2-minicpm-layerwise", "layerwise", "LayerWiseFlagLLMReranker", 8192,
            "MiniCPM-2B decoder reranker whose score can be read from layers 8 to 40.",
        ),
    )
}


def lookup(model_id: str) -> KnownModel | None:
    """Return the catalogue entry for a hub id (case-insensitive), or ``None`` if unknown.

    Unknown ids load as encoder-only cross-encoders with FlagReranker.

    Example:
        >>> lookup("BAAI/bge-reranker-v2-m3").kind
        'encoder'
        >>> lookup("someone/else") is None
        True
    """
    wanted = model_id.strip().lower()
    for hub_id, known in KNOWN_MODELS.items():
        if hub_id.lower() == wanted:
            return known
    return None
