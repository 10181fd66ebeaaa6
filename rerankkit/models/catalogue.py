"""Catalogue of the rerankers people choose between: family, licence, size, limits, how the score is read.

Every entry also says which libraries load the model. ``flag_class`` is the FlagEmbedding
class that runs it, or ``None`` where FlagEmbedding cannot (the kit then reads the score
itself, see ``readout``). Figures are the model cards' own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["DEFAULT_MODEL", "ModelKind", "KnownModel", "KNOWN_MODELS", "LONG_INPUT_CAVEAT", "lookup"]

DEFAULT_MODEL = "BAAI/bge-reranker-v2-m3"

# The maintainers' own caveat on the long limit (FlagEmbedding issue #932), shown wherever 8,192 is.
LONG_INPUT_CAVEAT = (
    "accepts up to 8,192 tokens, but its maintainers warn that quality may degrade on long inputs "
    "(FlagEmbedding issue #932): treat long inputs as something to measure on your data, not only to cost"
)

ModelKind = Literal["encoder", "llm", "layerwise", "lightweight"]


@dataclass(frozen=True)
class KnownModel:
    """What the kit knows about one reranker on the Hugging Face Hub.

    Attributes:
        hub_id: Repository id on the Hub.
        kind: ``"encoder"`` (cross-encoder with a classification head), ``"llm"`` (decoder read
            from answer tokens at the last position), ``"layerwise"`` (decoder scored from a chosen
            layer) or ``"lightweight"`` (decoder with token compression and layer cut-off).
        family: Architecture family (``xlm-roberta``, ``bert``, ``gemma``, ``gemma2``, ``minicpm``,
            ``qwen3``, ``qwen2``, ``new`` or ``jina-xlm-roberta``): what ``tiny-random:<hub id>`` builds.
        flag_class: FlagEmbedding class that runs it, or ``None`` when FlagEmbedding cannot load it.
        max_tokens: Longest pair (in tokens, special tokens and prompt included) the model accepts. Accepted is
            not the same as scored well: for bge-reranker-v2-m3's 8,192 its maintainers say long inputs are
            supported but quality may degrade (FlagEmbedding issue #932); measure long inputs on your data
            (:data:`LONG_INPUT_CAVEAT`).
        parameters: Parameter count as the model card gives it, e.g. ``"568M"``.
        languages: The languages the model card claims.
        licence: The model card's licence.
        readout: How one score is read from the model's output.
        libraries: Libraries that load it.
        remote_code: True when loading runs code from the model's repository (``trust_remote_code``).
        commercial_use: False when the licence forbids commercial use.
        note: One line for people choosing a model.
    """

    hub_id: str
    kind: ModelKind
    family: str
    flag_class: str | None
    max_tokens: int
    parameters: str
    languages: str
    licence: str
    readout: str
    libraries: tuple[str, ...]
    remote_code: bool = False
    commercial_use: bool = True
    note: str = ""


_CLASSIFIER_LOGIT = "logit of the one-label classification head (sigmoid for 0-1)"
_ENCODER_LIBRARIES = ("FlagEmbedding", "sentence-transformers", "transformers")
_QWEN3_READOUT = 'sigmoid(logit "yes" - logit "no") at the last token of the chat template with an instruction'
_QWEN3_LIBRARIES = ("transformers", "sentence-transformers", "vLLM")

KNOWN_MODELS: dict[str, KnownModel] = {
    m.hub_id: m
    for m in (
        # -- encoder cross-encoders ---------------------------------------------------------------
        KnownModel(
            "BAAI/bge-reranker-v2-m3", "encoder", "xlm-roberta", "FlagReranker", 8192,
            "568M", "multilingual (XLM-RoBERTa's 100 languages)", "Apache-2.0", _CLASSIFIER_LOGIT,
            _ENCODER_LIBRARIES, note="Multilingual XLM-RoBERTa-large cross-encoder; the kit's default; "
            f"{LONG_INPUT_CAVEAT}.",
        ),
        KnownModel(
            "BAAI/bge-reranker-base", "encoder", "xlm-roberta", "FlagReranker", 512,
            "278M", "Chinese, English", "MIT", _CLASSIFIER_LOGIT,
            _ENCODER_LIBRARIES, note="Chinese and English XLM-RoBERTa-base cross-encoder.",
        ),
        KnownModel(
            "BAAI/bge-reranker-large", "encoder", "xlm-roberta", "FlagReranker", 512,
            "560M", "Chinese, English", "MIT", _CLASSIFIER_LOGIT,
            _ENCODER_LIBRARIES, note="Chinese and English XLM-RoBERTa-large cross-encoder.",
        ),
        KnownModel(
            "Alibaba-NLP/gte-multilingual-reranker-base", "encoder", "new", "FlagReranker", 8192,
            "306M", "multilingual (70+ languages)", "Apache-2.0", _CLASSIFIER_LOGIT,
            ("transformers", "sentence-transformers", "FlagEmbedding"), remote_code=True,
            note="Multilingual cross-encoder on the custom 'NewModel' architecture (code in its repository).",
        ),
        KnownModel(
            "jinaai/jina-reranker-v2-base-multilingual", "encoder", "jina-xlm-roberta", "FlagReranker", 1024,
            "278M", "multilingual (100+ languages)", "CC-BY-NC-4.0", _CLASSIFIER_LOGIT,
            ("transformers", "sentence-transformers", "FlagEmbedding"), remote_code=True, commercial_use=False,
            note="Multilingual cross-encoder with custom flash-attention XLM-RoBERTa code; non-commercial licence.",
        ),
        KnownModel(
            "cross-encoder/ms-marco-MiniLM-L6-v2", "encoder", "bert", "FlagReranker", 512,
            "22.7M", "English", "Apache-2.0", _CLASSIFIER_LOGIT,
            ("sentence-transformers", "transformers", "FlagEmbedding"),
            note="Small, fast English BERT cross-encoder trained on MS MARCO.",
        ),
        # -- decoder rerankers ----------------------------------------------------------------------
        KnownModel(
            "BAAI/bge-reranker-v2-gemma", "llm", "gemma", "FlagLLMReranker", 8192,
            "2.51B", "multilingual", "Apache-2.0 (built on Gemma: Gemma terms of use)",
            'logit of "Yes" at the last token after a fixed yes/no prompt',
            ("FlagEmbedding", "transformers"),
            note="Gemma-2B decoder reranker; needs a GPU in practice.",
        ),
        KnownModel(
            "BAAI/bge-reranker-v2.5-gemma2-lightweight", "lightweight", "gemma2", "LightWeightFlagLLMReranker", 8192,
            "9.24B", "multilingual", "Gemma terms of use",
            'logit of "Yes" at a chosen cut-off layer, with token compression',
            ("FlagEmbedding",),
            note="Gemma2-9B decoder reranker that trades accuracy for speed by compressing tokens and cutting layers.",
        ),
        KnownModel(
            "BAAI/bge-reranker-v2-minicpm-layerwise", "layerwise", "minicpm", "LayerWiseFlagLLMReranker", 8192,
            "2.72B", "multilingual (Chinese, English and more)", "Apache-2.0 (built on MiniCPM: MiniCPM licence)",
            'logit of "Yes" read from a chosen layer (8 to 40)',
            ("FlagEmbedding",),
            note="MiniCPM-2B decoder reranker whose score can be read from layers 8 to 40.",
        ),
        KnownModel(
            "Qwen/Qwen3-Reranker-0.6B", "llm", "qwen3", None, 32768,
            "0.6B", "multilingual (100+ languages)", "Apache-2.0", _QWEN3_READOUT, _QWEN3_LIBRARIES,
            note="Qwen3 decoder reranker; FlagEmbedding cannot load it.",
        ),
        KnownModel(
            "Qwen/Qwen3-Reranker-4B", "llm", "qwen3", None, 32768,
            "4B", "multilingual (100+ languages)", "Apache-2.0", _QWEN3_READOUT, _QWEN3_LIBRARIES,
            note="Qwen3 decoder reranker, 4B; needs a GPU in practice.",
        ),
        KnownModel(
            "Qwen/Qwen3-Reranker-8B", "llm", "qwen3", None, 32768,
            "8B", "multilingual (100+ languages)", "Apache-2.0", _QWEN3_READOUT, _QWEN3_LIBRARIES,
            note="Qwen3 decoder reranker, 8B; needs a GPU in practice.",
        ),
        KnownModel(
            "mixedbread-ai/mxbai-rerank-base-v2", "llm", "qwen2", None, 8192,
            "0.5B", "multilingual (100+ languages)", "Apache-2.0",
            'logit "1" - logit "0" at the last token of its chat prompt (sigmoid for 0-1)',
            ("mxbai-rerank", "transformers", "sentence-transformers"),
            note="Qwen2.5-0.5B decoder reranker read from the tokens '1' and '0'.",
        ),
    )
}


def lookup(model_id: str) -> KnownModel | None:
    """Return the catalogue entry for a hub id (case-insensitive), or ``None`` if unknown.

    Unknown ids load as encoder-only cross-encoders with FlagReranker.

    Example:
        >>> lookup("BAAI/bge-reranker-v2-m3").kind
        'encoder'
        >>> lookup("Qwen/Qwen3-Reranker-0.6B").flag_class is None
        True
        >>> lookup("someone/else") is None
        True
    """
    wanted = model_id.strip().lower()
    for hub_id, known in KNOWN_MODELS.items():
        if hub_id.lower() == wanted:
            return known
    return None
