"""One model folder, three libraries: what each returns by default and which tokens each keeps.

The same cross-encoder folder loads in FlagEmbedding's ``FlagReranker``, sentence-transformers'
``CrossEncoder`` and plain transformers' ``AutoModelForSequenceClassification``. They share the
weights but not the defaults:

* the **scale**: ``FlagReranker.compute_score`` returns raw logits (``normalize=False``);
  ``CrossEncoder.predict`` applies its ``activation_fn``, which for a one-label model without a
  saved activation is ``torch.nn.Sigmoid`` (read from the loaded object, not assumed); plain
  transformers returns the logits of the classification head.
* the **truncation**: FlagReranker cuts the query to 3/4 of ``max_length`` and then cuts the
  passage to fit (``only_second``); CrossEncoder tokenizes with ``truncation="longest_first"``
  (one token at a time from whichever side is longer), and so does transformers' ``truncation=True``.

The tokens are read where the model receives them (a forward pre-hook on the transformers model),
so what is shown is what each library really fed the network.

Example:
    >>> from rerankkit.models.synthetic import tiny_random_path
    >>> libs = load_three(tiny_random_path(), max_length=32)
    >>> frame = score_scales(libs, [("what is panda?", "The giant panda is a bear.")])
    >>> sorted(frame.library)
    ['FlagEmbedding', 'sentence-transformers', 'transformers']
    >>> bool((frame.as_logit - frame.as_logit.iloc[0]).abs().max() < 1e-3)
    True
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rerankkit._utils.checks import check_positive_int, check_text
from rerankkit._utils.environment import import_flagembedding
from rerankkit._utils.hf import quiet_transformers
from rerankkit._utils.optional import require
from rerankkit.models.files import check_model_folder
from rerankkit.scoring.info import MIN_MAX_LENGTH

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ThreeLibraries", "load_three", "default_limits", "score_scales", "kept_tokens", "truncation_summary",
           "LIBRARIES"]

LIBRARIES = ("FlagEmbedding", "sentence-transformers", "transformers")


@dataclass
class ThreeLibraries:
    """The same model folder loaded by each library, on one device.

    Attributes:
        folder: The model folder.
        max_length: Tokens per pair every library keeps.
        flag: ``FlagEmbedding.FlagReranker``.
        cross_encoder: ``sentence_transformers.CrossEncoder``.
        model: ``transformers.AutoModelForSequenceClassification``.
        tokenizer: ``transformers.AutoTokenizer`` for ``model``.
        device: Torch device string.
    """

    folder: str
    max_length: int
    flag: Any
    cross_encoder: Any
    model: Any
    tokenizer: Any
    device: str

    @property
    def cross_encoder_activation(self) -> str:
        """The class name of the activation ``CrossEncoder.predict`` applies by default, e.g. ``Sigmoid``."""
        return type(self.cross_encoder.activation_fn).__name__


def load_three(folder: str | os.PathLike, *, max_length: int = 512, device: str = "cpu") -> ThreeLibraries:
    """Load one cross-encoder folder with FlagReranker, CrossEncoder and AutoModelForSequenceClassification.

    Args:
        folder: A model folder (e.g. ``rr.info.path``).
        max_length: Tokens per pair kept by every library.
        device: ``"cpu"`` or a CUDA device; fp32 everywhere, so the three can be compared.

    Raises:
        ValueError: ``max_length`` is too small, or the folder is not a complete model.
    """
    check_positive_int(max_length, "max_length")
    if max_length < MIN_MAX_LENGTH:
        raise ValueError(f"max_length={max_length} is too small: use at least {MIN_MAX_LENGTH} tokens")
    path = check_model_folder(Path(folder), fix="pass a folder saved with save_pretrained (rr.info.path of a loaded model)")
    sentence_transformers = require("sentence_transformers", feature="the library parity lab")
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    with quiet_transformers():
        flag = import_flagembedding().FlagReranker(
            os.fspath(path), use_fp16=False, devices=[device], max_length=max_length, normalize=False
        )
        cross_encoder = sentence_transformers.CrossEncoder(os.fspath(path), device=device, max_length=max_length)
        model = AutoModelForSequenceClassification.from_pretrained(os.fspath(path)).to(device).eval()
        tokenizer = AutoTokenizer.from_pretrained(os.fspath(path))
    flag.model.eval()
    return ThreeLibraries(os.fspath(path), max_length, flag, cross_encoder, model, tokenizer, device)


def default_limits(folder: str | os.PathLike, *, device: str = "cpu") -> pd.DataFrame:
    """How many tokens of a pair each library reads when the caller does not set ``max_length``.

    Read from the libraries themselves: FlagReranker's constructor default (its query keeps at most 3/4 of it,
    ``compute_score``'s rule), a ``CrossEncoder`` loaded without ``max_length`` (its ``max_seq_length``), and
    the tokenizer's ``model_max_length``, which plain transformers uses with ``truncation=True``.

    Returns:
        ``library, max_length, query_at_most, rule``: one row per library.

    Example:
        >>> from rerankkit.models.synthetic import tiny_random_path
        >>> default_limits(tiny_random_path())[["library", "max_length", "query_at_most"]].values.tolist()[0]
        ['FlagReranker', 512, 384]
    """
    import inspect

    import pandas as pd

    path = check_model_folder(Path(folder), fix="pass a folder saved with save_pretrained (rr.info.path of a loaded model)")
    sentence_transformers = require("sentence_transformers", feature="the library parity lab")
    from transformers import AutoTokenizer

    flag_default = inspect.signature(import_flagembedding().FlagReranker.__init__).parameters["max_length"].default
    with quiet_transformers():
        cross_encoder = sentence_transformers.CrossEncoder(os.fspath(path), device=device)
        tokenizer = AutoTokenizer.from_pretrained(os.fspath(path))
    ce_limit = int(cross_encoder.max_seq_length)
    del cross_encoder
    return pd.DataFrame([
        {"library": "FlagReranker", "max_length": int(flag_default), "query_at_most": int(flag_default) * 3 // 4,
         "rule": "query cut to 3/4 of max_length, then the passage cut to fit (only_second)"},
        {"library": "CrossEncoder", "max_length": ce_limit, "query_at_most": ce_limit,
         "rule": "the model's own limit; longest_first: the longer side loses a token at a time"},
        {"library": "transformers", "max_length": int(tokenizer.model_max_length),
         "query_at_most": int(tokenizer.model_max_length),
         "rule": "truncation=True: the tokenizer's model_max_length, longest_first"},
    ])


def _check_pairs(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    if isinstance(pairs, (str, bytes)) or len(pairs) == 0:
        raise ValueError("pairs must be a non-empty list of (query, passage) tuples")
    out = []
    for i, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"pairs[{i}] must be a (query, passage) tuple, got {pair!r}")
        out.append((check_text(pair[0], f"pairs[{i}] query"), check_text(pair[1], f"pairs[{i}] passage")))
    return out


def _transformers_logits(libs: ThreeLibraries, pairs: list[tuple[str, str]]) -> np.ndarray:
    import torch

    # The usage the bge-reranker model cards show: padding=True, truncation=True, max_length.
    batch = libs.tokenizer([q for q, _ in pairs], [p for _, p in pairs], padding=True, truncation=True,
                           max_length=libs.max_length, return_tensors="pt").to(libs.device)
    with torch.inference_mode():
        return libs.model(**batch).logits.view(-1).float().cpu().numpy().astype(np.float64)


def _library_outputs(libs: ThreeLibraries, pairs: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    with quiet_transformers():
        flag = np.asarray(libs.flag.compute_score([list(p) for p in pairs]), dtype=np.float64).reshape(-1)
        ce = np.asarray(libs.cross_encoder.predict(pairs, show_progress_bar=False), dtype=np.float64).reshape(-1)
        hf = _transformers_logits(libs, pairs)
    return {"FlagEmbedding": flag, "sentence-transformers": ce, "transformers": hf}


def score_scales(libs: ThreeLibraries, pairs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Each library's default output for the same pairs, with the logit each one stands for.

    Returns:
        A tidy frame, one row per pair and library: ``pair, library, call, default_scale, score``
        and ``as_logit`` (the score itself where it is a logit; ``log(s / (1 - s))`` where the
        library applied a sigmoid, ``inf`` where the sigmoid reached 1.0 exactly).
    """
    import pandas as pd

    checked = _check_pairs(pairs)
    outputs = _library_outputs(libs, checked)
    activation = libs.cross_encoder_activation
    scales = {
        "FlagEmbedding": ("FlagReranker.compute_score(pairs)", "raw logit (normalize=False)"),
        "sentence-transformers": ("CrossEncoder.predict(pairs)",
                                  "sigmoid of the logit (activation_fn=Sigmoid)" if activation == "Sigmoid"
                                  else f"activation_fn={activation}"),
        "transformers": ("AutoModelForSequenceClassification(**batch).logits", "raw logit"),
    }
    rows = []
    for library in LIBRARIES:
        call, scale = scales[library]
        for i, value in enumerate(outputs[library]):
            if library == "sentence-transformers" and activation == "Sigmoid":
                with np.errstate(divide="ignore"):
                    as_logit = float(np.log(value) - np.log1p(-value))
            else:
                as_logit = float(value)
            rows.append({"pair": i, "library": library, "call": call, "default_scale": scale,
                         "score": float(value), "as_logit": as_logit})
    return pd.DataFrame(rows)


def _model_inputs(libs: ThreeLibraries, library: str, query: str, passage: str) -> list[int]:
    """The input ids one library hands its transformers model for one pair (read by a forward pre-hook)."""
    import torch

    seen: list[list[int]] = []

    def hook(_module, args, kwargs):
        ids = kwargs.get("input_ids", args[0] if args else None)
        if hasattr(ids, "keys"):  # sentence-transformers modules take a features mapping
            ids = ids["input_ids"]
        seen.append([int(t) for t in ids[0].tolist()])

    if library == "FlagEmbedding":
        target, run = libs.flag.model, lambda: libs.flag.compute_score([query, passage])
    elif library == "sentence-transformers":
        # CrossEncoder's Transformer module calls model.forward directly (no hooks run there): watch the module.
        target = next(m for m in libs.cross_encoder.modules()
                      if type(getattr(m, "model", None)).__name__.endswith("ForSequenceClassification"))
        run = lambda: libs.cross_encoder.predict([(query, passage)], show_progress_bar=False)  # noqa: E731
    else:
        target, run = libs.model, lambda: _transformers_logits(libs, [(query, passage)])
    handle = target.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        with torch.inference_mode(), quiet_transformers():
            run()
    finally:
        handle.remove()
    return seen[-1]


def _sides(tokenizer: Any, ids: list[int]) -> tuple[list[int], list[int]]:
    """Split a pair's ids into query and passage: the first and second runs of non-special tokens."""
    special = set(tokenizer.all_special_ids)
    runs: list[list[int]] = []
    current: list[int] = []
    for token in ids:
        if token in special:
            if current:
                runs.append(current)
                current = []
        else:
            current.append(token)
    if current:
        runs.append(current)
    runs += [[], []]
    return runs[0], runs[1]


def kept_tokens(libs: ThreeLibraries, query: str, passage: str) -> pd.DataFrame:
    """Token by token, which pieces of a pair each library keeps at ``libs.max_length``.

    Returns:
        One row per library, side (``query``/``passage``) and token of the untruncated text:
        ``library, side, position, piece, kept``. A side keeps a prefix of its tokens (all three
        libraries cut from the right), so ``kept`` is True for the first ``n`` tokens of that side.
    """
    import pandas as pd

    query = check_text(query, "query")
    passage = check_text(passage, "passage")
    tok = libs.tokenizer
    with quiet_transformers():
        full = {"query": tok(query, add_special_tokens=False)["input_ids"],
                "passage": tok(passage, add_special_tokens=False)["input_ids"]}
    rows = []
    for library in LIBRARIES:
        q_ids, p_ids = _sides(tok, _model_inputs(libs, library, query, passage))
        kept_counts = {"query": len(q_ids), "passage": len(p_ids)}
        for side, ids in full.items():
            pieces = tok.convert_ids_to_tokens(ids)
            for position, piece in enumerate(pieces):
                rows.append({"library": library, "side": side, "position": position, "piece": piece,
                             "kept": position < kept_counts[side]})
    return pd.DataFrame(rows)


def truncation_summary(tokens: pd.DataFrame, *, show: int = 3) -> pd.DataFrame:
    """Per library and side: tokens in the text, kept, lost, and the first lost and last kept pieces.

    Args:
        tokens: The frame of :func:`kept_tokens`.
        show: How many pieces to show on each side of the cut.
    """
    import pandas as pd

    missing = {"library", "side", "position", "piece", "kept"} - set(tokens.columns)
    if missing:
        raise ValueError(f"tokens lacks columns {sorted(missing)}: pass the frame of kept_tokens(...)")
    rows = []
    for (library, side), group in tokens.groupby(["library", "side"], sort=False):
        kept = group[group.kept]
        lost = group[~group.kept]
        rows.append({"library": library, "side": side, "tokens": len(group), "kept": len(kept), "lost": len(lost),
                     "last_kept": " ".join(kept.piece.tail(show)), "first_lost": " ".join(lost.piece.head(show))})
    return pd.DataFrame(rows)
