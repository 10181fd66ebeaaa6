"""Tiny offline decoder rerankers: each family's real architecture class, shrunk, with random weights.

``tiny-random:<hub id>`` of a decoder reranker in the catalogue builds, offline and in seconds,
a folder with that model's architecture class and config layout (hidden size 32, two layers)
and a small BPE tokenizer (trained here on the kit's corpus) that carries the model's real
special tokens, its answer tokens as single pieces and its chat template:

- ``gemma`` (BAAI/bge-reranker-v2-gemma): ``GemmaForCausalLM``; SentencePiece-style pieces with
  byte fallback, ``<pad>``/``<eos>``/``<bos>``/``<unk>`` first, ``<start_of_turn>``/``<end_of_turn>``,
  "Yes" one piece (FlagEmbedding reads its logit).
- ``qwen3`` (Qwen/Qwen3-Reranker-*): ``Qwen3ForCausalLM``; byte-level BPE with Qwen's split
  pattern, ``<|endoftext|>``/``<|im_start|>``/``<|im_end|>``, ``<think>``/``</think>``, "yes" and
  "no" one piece each, the reranker's chat template (pairs as ``query``/``document`` messages).
- ``qwen2`` (mixedbread-ai/mxbai-rerank-base-v2): ``Qwen2ForCausalLM``; the same byte-level
  layout, "1" and "0" one piece each, Qwen2.5's ChatML template.

``minicpm`` (the layer-wise MiniCPM) and ``gemma2`` (the lightweight Gemma2) need FlagEmbedding's
own model classes, which do not construct under transformers 5 (see :func:`flag_class_problem`);
asking for them raises :class:`~rerankkit.errors.BrokenEnvironmentError` naming the cause.

The vocabularies are small (about 4,000 pieces), not the real ones: token counts and cut points
differ from the real models'; the template tokens, answer tokens and readouts are the real ones.
Scores mean nothing.

Each family registers its builder with :func:`rerankkit.models.families.register_tiny_builder`,
so ``rerankkit.load("tiny-random:<hub id>")`` finds it.

Example:
    >>> from rerankkit.models.families import can_build_tiny
    >>> can_build_tiny("Qwen/Qwen3-Reranker-0.6B")
    True
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rerankkit._utils.cache import atomic_folder
from rerankkit._utils.hf import quiet_transformers
from rerankkit.errors import BrokenEnvironmentError
from rerankkit.models.catalogue import KNOWN_MODELS, KnownModel, lookup
from rerankkit.models.families import TINY_PREFIX, register_tiny_builder, tiny_family_path
from rerankkit.models.synthetic import _corpus, _write_marker

__all__ = [
    "DECODER_FAMILIES",
    "QWEN3_RERANKER_TEMPLATE",
    "decoder_model_path",
    "build_decoder_model",
    "flag_class_problem",
]

DECODER_FAMILIES = ("gemma", "gemma2", "minicpm", "qwen3", "qwen2")

# Qwen's pre-tokenizer pattern (from its tokenizer.json): letters, single digits, punctuation, newlines.
_QWEN_SPLIT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""

# Qwen3-Reranker's chat template (its tokenizer_config.json): a (query, document) pair arrives as
# messages with the roles "query" and "document"; a "system" message, if any, is the instruction.
QWEN3_RERANKER_TEMPLATE = (
    '{%- set instruction = messages | selectattr("role", "eq", "system") | map(attribute="content")'
    ' | first | default("Given a web search query, retrieve relevant passages that answer the query") -%}\n'
    '{%- set query_text = messages | selectattr("role", "eq", "query") | map(attribute="content") | first -%}\n'
    '{%- set document_text = messages | selectattr("role", "eq", "document") | map(attribute="content")'
    " | first -%}\n"
    "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the"
    ' Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n'
    "<|im_start|>user\n<Instruct>: {{ instruction }}\n<Query>: {{ query_text }}\n"
    "<Document>: {{ document_text }}<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n\n"
)

# Qwen2.5's ChatML template (tool calls left out): a default system turn, then one turn per message.
_CHATML_TEMPLATE = (
    "{%- if messages[0]['role'] != 'system' %}<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. "
    "You are a helpful assistant.<|im_end|>\n{%- endif %}"
    "{%- for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{%- endfor %}{%- if add_generation_prompt %}<|im_start|>assistant\n{%- endif %}"
)

# Gemma's chat template: <bos>, then <start_of_turn>user / model turns; no system role.
_GEMMA_TEMPLATE = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
    "{% endif %}{% for message in messages %}{% if message['role'] == 'assistant' %}{% set role = 'model' %}"
    "{% else %}{% set role = message['role'] %}{% endif %}"
    "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}"
)

# Text the tokenizers must cut into few pieces: each family's prompts, and the answer words on lines
# as texts of their own (so "yes", "no", "Yes", "1" and "0" become single pieces without a leading space).
_PROMPT_CORPUS = [
    "Given a query A and a passage B, determine whether the passage contains an answer to the query by "
    "providing a prediction of either 'Yes' or 'No'.",
    "Judge whether the Document meets the requirements based on the Query and the Instruct provided. "
    'Note that the answer can only be "yes" or "no".',
    "<Instruct>: Given a web search query, retrieve relevant passages that answer the query\n<Query>: \n<Document>: ",
    "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
    "You are a search relevance expert who evaluates how well documents match search queries. For each "
    "query-document pair, carefully analyze the semantic relationship between them, then provide your binary "
    "relevance judgment (0 for not relevant, 1 for relevant).\nRelevance:",
    "instruction: \nquery: \ndocument: ",
] * 4 + ["yes", "no", "Yes", "No", "1", "0"] * 20


@dataclass(frozen=True)
class _TokenizerRecipe:
    """How one family's tokenizer is laid out."""

    byte_level: bool  # Qwen's byte-level BPE; else SentencePiece-style pieces with byte fallback
    specials_first: tuple[str, ...]  # special tokens with the lowest ids, in this order
    specials_last: tuple[str, ...]  # special tokens after the vocabulary
    added: tuple[str, ...]  # ordinary (not special) added tokens after those
    bos: str | None
    eos: str
    pad: str
    unk: str | None
    add_bos: bool
    chat_template: str
    answers: tuple[str, ...]  # must each be one piece


_QWEN_SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
_RECIPES: dict[str, _TokenizerRecipe] = {
    "gemma": _TokenizerRecipe(
        byte_level=False, specials_first=("<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "<start_of_turn>",
                                          "<end_of_turn>"),
        specials_last=(), added=(), bos="<bos>", eos="<eos>", pad="<pad>", unk="<unk>", add_bos=True,
        chat_template=_GEMMA_TEMPLATE, answers=("Yes",),
    ),
    "qwen3": _TokenizerRecipe(
        byte_level=True, specials_first=(), specials_last=_QWEN_SPECIALS, added=("<think>", "</think>"),
        bos=None, eos="<|im_end|>", pad="<|endoftext|>", unk=None, add_bos=False,
        chat_template=QWEN3_RERANKER_TEMPLATE, answers=("yes", "no"),
    ),
    "qwen2": _TokenizerRecipe(
        byte_level=True, specials_first=(), specials_last=_QWEN_SPECIALS, added=(),
        bos=None, eos="<|im_end|>", pad="<|endoftext|>", unk=None, add_bos=False,
        chat_template=_CHATML_TEMPLATE, answers=("1", "0"),
    ),
}

# FlagEmbedding classes with model code of their own: (module, class) of the model each one loads.
_FLAG_MODELS = "FlagEmbedding.inference.reranker.decoder_only.models."
_FLAG_MODEL_CLASSES = {
    "minicpm": ("modeling_minicpm_reranker", "LayerWiseMiniCPMForCausalLM",
                "configuration_minicpm_reranker", "LayerWiseMiniCPMConfig"),
    "gemma2": ("gemma_model", "CostWiseGemmaForCausalLM", "gemma_config", "CostWiseGemmaConfig"),
}


def _decoder_entry(hub_id: str) -> KnownModel:
    known = lookup(hub_id)
    if known is None or known.family not in DECODER_FAMILIES:
        names = ", ".join(f"'tiny-random:{m.hub_id}'" for m in KNOWN_MODELS.values() if m.family in DECODER_FAMILIES)
        raise ValueError(f"no tiny decoder recipe for {hub_id!r}: use one of {names}")
    return known


@functools.cache
def flag_class_problem(family: str) -> str | None:
    """Why FlagEmbedding's own model class for ``family`` cannot run here, or ``None`` when it can.

    Builds the class at a tiny size: FlagEmbedding 1.4.2's layer-wise MiniCPM and lightweight Gemma2
    code predates transformers 5 (MiniCPM reads ``rope_scaling["type"]``, which transformers 5 no
    longer sets; both declare ``_tied_weights_keys`` as a list, where transformers 5 expects a dict).

    Example:
        >>> flag_class_problem("qwen3") is None
        True
    """
    if family not in _FLAG_MODEL_CLASSES:
        return None
    import importlib

    module_name, class_name, config_module_name, config_name = _FLAG_MODEL_CLASSES[family]
    try:
        config_class = getattr(importlib.import_module(_FLAG_MODELS + config_module_name), config_name)
        model_class = getattr(importlib.import_module(_FLAG_MODELS + module_name), class_name)
        with quiet_transformers():
            model_class(config_class(**_tiny_shape(family, vocab_size=64, pad_token_id=0)))
    except Exception as exc:  # any failure of third-party model code is the answer sought
        import transformers

        version = _flag_version()
        return (f"FlagEmbedding {version}'s {class_name} cannot be built with transformers {transformers.__version__} "
                f"({type(exc).__name__}: {exc}). Its code was written for transformers 4 "
                "(FlagEmbedding names transformers==4.46.0); run this family in an environment with transformers<5")
    return None


def _flag_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("FlagEmbedding")
    except PackageNotFoundError:
        return "(not installed)"


def _tiny_shape(family: str, **ids: Any) -> dict[str, Any]:
    """The tiny config of a family: its real layout (GQA, head_dim, tied embeddings), shrunk."""
    base: dict[str, Any] = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                                rms_norm_eps=1e-6, tie_word_embeddings=True, initializer_range=0.2, **ids)
    if family == "gemma":  # gemma-2b: multi-query attention, head_dim 256, gelu-tanh, 8192 positions
        return {**base, "num_key_value_heads": 1, "head_dim": 8, "hidden_act": "gelu_pytorch_tanh",
                "max_position_embeddings": 8192, "rope_theta": 10000.0}
    if family == "qwen3":  # Qwen3-Reranker-0.6B: GQA 16/8, head_dim 128 (heads x head_dim != hidden), 40960 positions
        return {**base, "num_key_value_heads": 2, "head_dim": 16, "max_position_embeddings": 40960,
                "rope_theta": 1000000.0, "use_sliding_window": False}
    if family == "qwen2":  # Qwen2.5-0.5B: GQA 14/2, 32768 positions
        return {**base, "num_key_value_heads": 2, "max_position_embeddings": 32768, "rope_theta": 1000000.0,
                "use_sliding_window": False}
    if family == "minicpm":  # MiniCPM-2B: muP scaling, scores from layer start_layer on
        return {**base, "num_hidden_layers": 4, "scale_emb": 12, "dim_model_base": 8, "scale_depth": 1.4,
                "start_layer": 2, "head_type": "simple", "max_position_embeddings": 2048}
    if family == "gemma2":  # gemma2-9b based: layer-wise heads from start_layer, token compression
        return {**base, "num_hidden_layers": 4, "num_key_value_heads": 2, "head_dim": 8, "start_layer": 2,
                "layer_sep": 1, "layer_wise": True, "max_position_embeddings": 8192}
    raise ValueError(f"unknown decoder family {family!r}: use one of {DECODER_FAMILIES}")


def decoder_model_path(hub_id: str) -> Path:
    """Folder of ``tiny-random:<hub id>`` for a decoder reranker, built on first use and cached.

    Raises:
        ValueError: ``hub_id`` is not a decoder reranker of the catalogue.
        BrokenEnvironmentError: Its family needs FlagEmbedding model code that cannot run here.

    Example:
        >>> folder = decoder_model_path("Qwen/Qwen3-Reranker-0.6B")
        >>> json.loads((folder / "config.json").read_text())["architectures"]
        ['Qwen3ForCausalLM']
    """
    known = _decoder_entry(hub_id)
    return tiny_family_path(TINY_PREFIX + known.hub_id)


def _fingerprint() -> str:
    """What a build depends on beyond the builder's source: the recipes, tokenizer code and corpus."""
    digest = hashlib.sha256()
    for function in (build_decoder_model, _train_tokenizer, _tiny_shape, _make_tokenizer):
        digest.update(inspect.getsource(function).encode())
    digest.update(repr((_RECIPES, _PROMPT_CORPUS, _QWEN_SPLIT)).encode())
    for line in _corpus():
        digest.update(line.encode())
    return digest.hexdigest()


def _build(known: KnownModel, target: Path) -> Path:
    problem = flag_class_problem(known.family)
    if problem is not None:
        raise BrokenEnvironmentError(f"tiny-random:{known.hub_id} cannot be built: {problem}.")
    return build_decoder_model(known.hub_id, target)


def _train_tokenizer(recipe: _TokenizerRecipe, corpus: list[str], vocab_size: int):
    """A BPE ``tokenizers.Tokenizer`` in the family's layout, trained on ``corpus`` (deterministic)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    pre: Any
    if recipe.byte_level:
        pre = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(_QWEN_SPLIT), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
        alphabet = pre_tokenizers.ByteLevel.alphabet()
    else:  # SentencePiece-style: "▁" marks a space, no dummy prefix (Gemma)
        pre = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never", split=True)
        alphabet = []
    draft = Tokenizer(models.BPE())
    draft.pre_tokenizer = pre
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                  initial_alphabet=alphabet)
    draft.train_from_iterator(corpus, trainer)
    trained = json.loads(draft.to_str())["model"]
    pieces = sorted(trained["vocab"], key=trained["vocab"].get)
    merges: list[tuple[str, str]] = [(a, b) for a, b in (m.split(" ") if isinstance(m, str) else m
                                                          for m in trained["merges"])]

    head = list(recipe.specials_first)
    if not recipe.byte_level:
        head += [f"<0x{b:02X}>" for b in range(256)]  # byte fallback pieces, as SentencePiece has them
    vocab = {piece: i for i, piece in enumerate(head)}
    for piece in pieces:
        vocab.setdefault(piece, len(vocab))
    if recipe.byte_level:
        tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges))
        tokenizer.normalizer = normalizers.NFC()
        tokenizer.decoder = decoders.ByteLevel()
    else:
        tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token=recipe.unk, byte_fallback=True))
        tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    tokenizer.pre_tokenizer = pre
    from tokenizers import AddedToken

    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False)
                                  for t in recipe.specials_first + recipe.specials_last])
    tokenizer.add_tokens([AddedToken(t, special=False, normalized=False) for t in recipe.added])
    if recipe.add_bos and recipe.bos is not None:
        bos_id = tokenizer.token_to_id(recipe.bos)
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{recipe.bos} $A", pair=f"{recipe.bos} $A $B:1", special_tokens=[(recipe.bos, bos_id)]
        )
    return tokenizer


def _make_tokenizer(family: str, vocab_size: int = 4000):
    """The family's tokenizer as a transformers fast tokenizer, checked for its answer tokens."""
    from transformers import PreTrainedTokenizerFast

    recipe = _RECIPES[family]
    backend = _train_tokenizer(recipe, _corpus() + _PROMPT_CORPUS, vocab_size)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token=recipe.bos, eos_token=recipe.eos, pad_token=recipe.pad,
        unk_token=recipe.unk, model_max_length=_tiny_shape(family)["max_position_embeddings"],
        padding_side="left", chat_template=recipe.chat_template,
    )
    if family == "gemma":
        tokenizer.add_bos_token = True
    for word in recipe.answers:
        ids = tokenizer(word, add_special_tokens=False)["input_ids"]
        if len(ids) != 1:  # the readout needs each answer as one token, as in the real vocabulary
            raise RuntimeError(f"the tiny {family} tokenizer cuts {word!r} into {len(ids)} pieces: fix its corpus")
    return tokenizer


def build_decoder_model(hub_id: str, target: Path) -> Path:
    """Build the tiny decoder reranker for ``hub_id`` into ``target`` (atomically) and return it."""
    import torch

    known = _decoder_entry(hub_id)
    family = known.family
    if family not in _RECIPES:
        raise BrokenEnvironmentError(f"tiny-random:{known.hub_id} cannot be built: "
                                     f"{flag_class_problem(family) or 'no recipe for ' + family}.")
    import transformers

    tokenizer = _make_tokenizer(family)
    ids = {"bos_token_id": tokenizer.convert_tokens_to_ids(_RECIPES[family].bos or "<|endoftext|>"),
           "eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id}
    config_class, model_class = {
        "gemma": ("GemmaConfig", "GemmaForCausalLM"),
        "qwen3": ("Qwen3Config", "Qwen3ForCausalLM"),
        "qwen2": ("Qwen2Config", "Qwen2ForCausalLM"),
    }[family]
    config = getattr(transformers, config_class)(vocab_size=len(tokenizer), **_tiny_shape(family, **ids))
    config.architectures = [model_class]
    torch.manual_seed(0)
    model = getattr(transformers, model_class)(config)
    with atomic_folder(target) as workdir, quiet_transformers():
        tokenizer.save_pretrained(workdir)
        model.save_pretrained(workdir, safe_serialization=True)
        # One folder per family: Qwen3-Reranker-0.6B, 4B and 8B share the tiny qwen3 build.
        _write_marker(workdir, family=family, architecture=model_class,
                      purpose=f"tiny-random {family} reranker: {model_class} shrunk, a small BPE tokenizer with the "
                              "model's special and answer tokens; random weights, scores mean nothing")
    return Path(target)


for _family in DECODER_FAMILIES:
    register_tiny_builder(_family, _build, fingerprint=_fingerprint,
                          problem=functools.partial(flag_class_problem, _family))
