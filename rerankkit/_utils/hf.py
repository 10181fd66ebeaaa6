"""Quieting Hugging Face transformers' progress bars and logs, and saving the tokenizers the kit builds."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["quiet_transformers", "quiet_flag_progress", "save_tokenizer"]


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Hide transformers' per-tensor progress bar and its info and warning logs for a block."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    level = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if was_enabled:
            hf_logging.enable_progress_bar()


def save_tokenizer(tokenizer: Any, folder: Path) -> None:
    """Save a fast tokenizer so that loading it reads ``tokenizer.json`` once, in Rust.

    The config names the generic fast class and lists the added tokens. A model-specific class such as
    ``XLMRobertaTokenizer`` would make transformers parse the whole file in Python on every load and rebuild the
    vocabulary from it (about 2 s for XLM-R's 17 MB file), and without the list of added tokens it reads the file
    once more to find them. The ids are the same either way: ``tokenizer.json`` holds the whole pipeline.
    """
    from transformers import PreTrainedTokenizerFast

    with quiet_transformers():
        tokenizer.save_pretrained(folder)
    config_file = Path(folder) / "tokenizer_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["tokenizer_class"] = PreTrainedTokenizerFast.__name__
    config.setdefault("added_tokens_decoder",
                      {str(i): token.__getstate__() for i, token in tokenizer.added_tokens_decoder.items()})
    config_file.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# FlagEmbedding's decoder rerankers draw tqdm bars in compute_score and take no switch to stop them.
_FLAG_LLM_MODULES = tuple(f"FlagEmbedding.inference.reranker.decoder_only.{name}"
                          for name in ("base", "layerwise", "lightweight"))


def _silenced(factory: Any) -> Any:
    # FlagEmbedding passes its own disable= (e.g. disable=len(pairs) < batch_size): override it, not default it.
    def make(*args: Any, **kwargs: Any) -> Any:
        return factory(*args, **{**kwargs, "disable": True})

    return make


@contextlib.contextmanager
def quiet_flag_progress(show: bool) -> Iterator[None]:
    """Unless ``show``, hide the progress bars FlagEmbedding's decoder rerankers draw for a block.

    Example:
        >>> with quiet_flag_progress(False):
        ...     pass
    """
    if show:
        yield
        return
    import sys

    from tqdm import tqdm, trange

    patched = []
    originals: dict[str, Any] = {"tqdm": tqdm, "trange": trange}
    for name in _FLAG_LLM_MODULES:
        module = sys.modules.get(name)
        for attr, original in originals.items():
            current: Any = getattr(module, attr, None) if module is not None else None
            if current is not None and current is original:
                setattr(module, attr, _silenced(current))
                patched.append((module, attr, current))
    try:
        yield
    finally:
        for module, attr, original in patched:
            setattr(module, attr, original)
