"""From a model spec to a ready :class:`~rerankkit.scoring.reranker.Reranker`.

A spec is a Hugging Face hub id, a local folder, or a built-in spec (``tiny-random``).
This module finds the files (cache first, download only when allowed), picks the device
and dtype, builds the matching FlagEmbedding class and reports what it did.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rerankkit._utils.checks import check_positive_int
from rerankkit._utils.environment import import_flagembedding
from rerankkit._utils.hf import quiet_transformers
from rerankkit.errors import BrokenEnvironmentError
from rerankkit.models.catalogue import ModelKind, lookup
from rerankkit.models.decoders import flag_class_problem
from rerankkit.models.devices import choose_device, choose_dtype, torch_dtype
from rerankkit.models.families import TINY_PREFIX, tiny_family_path, tiny_hub_id
from rerankkit.models.files import check_model_folder
from rerankkit.models.hub import fetch_model, local_model_folder, resolve_model_id
from rerankkit.models.synthetic import RANDOM_PREFIX, TINY_RANDOM, random_model_path, read_marker, tiny_random_path
from rerankkit.models.trust import check_remote_code, note_licence
from rerankkit.scoring.decoder import LAYOUTS, load_answer_token_reranker
from rerankkit.scoring.fastest import choose_fastest, gpu_fastest
from rerankkit.scoring.info import ModelInfo, check_max_length, model_limit
from rerankkit.scoring.reranker import Reranker

if TYPE_CHECKING:
    import torch

__all__ = ["load", "CPU_MAX_BATCH_TOKENS"]

# On CPU a forward pass costs about the same per token at any batch size, so padding is pure loss: batches
# of long pairs are cut to this many padded tokens. Measured on bge-reranker-v2-m3's shape, 2 threads, OpenVINO
# static int8, 24 pairs of 89-373 tokens at batch 16, medians of 3 interleaved rounds: 8.7 pairs/s with a cap
# of 1024, 8.6 at 2048, 7.8 at 3072, 7.1 without a cap.
CPU_MAX_BATCH_TOKENS = 1024


def _flag_class(name: str):
    return getattr(import_flagembedding(), name)


def _folder_fix(spec: str, path: Path) -> str:
    if spec == TINY_RANDOM or spec.startswith((RANDOM_PREFIX, TINY_PREFIX)):
        return f"delete {path}; rerankkit builds it again on the next load"
    if Path(spec).expanduser().is_dir():
        return ("save the model there again (model.save_pretrained(folder) and tokenizer.save_pretrained(folder)), "
                "or point model at a complete folder")
    return f"run `rerankkit download --model {spec} --force`"



def load(
    model: str | os.PathLike | None = None,
    *,
    device: str | list[str] = "auto",
    dtype: str | torch.dtype = "auto",
    max_length: int | None = None,
    batch_size: int = 32,
    max_batch_tokens: int | None = None,
    cache_dir: str | os.PathLike | None = None,
    trust_remote_code: bool = False,
    revision: str | None = None,
    instruction: str | None = None,
) -> Reranker:
    """Load a reranker, ready to score.

    Args:
        model: Hub id (default ``$RERANKKIT_MODEL`` or ``BAAI/bge-reranker-v2-m3``), a local
            folder, ``"tiny-random"`` (a tiny random-weight model built offline),
            ``"tiny-random:<hub id>"`` (that catalogue model's architecture and tokenizer layout,
            tiny, random weights, built offline) or ``"random:<hub id>"`` (the real shape with
            random weights, for timing only).
        device: ``"auto"`` (CUDA, then MPS, then CPU), a device string, or a list of several
            devices to start FlagEmbedding's multi-process pool on purpose.
        dtype: ``"auto"`` (fp16 on CUDA, fp32 elsewhere), ``"fp32"``, ``"fp16"``, ``"bf16"``,
            ``"int8"`` (CPU only: the int8 backend this CPU's instructions favour, see
            :mod:`rerankkit.backends`), or ``"fastest"`` (CPU: whichever path was measured fastest on this
            machine, measured on first use and cached, see :mod:`rerankkit.scoring.fastest`; CUDA: fp16).
        max_length: Tokens per pair kept when scoring; default 512 (or the model's limit if lower).
        batch_size: Pairs per forward pass.
        max_batch_tokens: Most padded tokens (rows times the longest pair) per forward pass, so batches of
            long pairs hold fewer rows; default :data:`CPU_MAX_BATCH_TOKENS` on CPU (less padding, and
            measured faster there), no cap on GPUs. Change it later with ``rr.max_batch_tokens``.
        cache_dir: Hugging Face hub cache folder (default: the standard one).
        trust_remote_code: Run Python code from the model's repository (models whose config has
            ``auto_map``, such as gte and jina rerankers). Off by default; when on, a warning names
            the repository and the revision whose code runs.
        revision: Branch, tag or commit of a hub model to fetch; a commit pins the code that
            ``trust_remote_code`` runs.
        instruction: Task instruction for the decoders that take one (Qwen3-Reranker, mxbai-rerank-v2);
            default: the model's own. Settable later as ``reranker.instruction``.

    Returns:
        A :class:`~rerankkit.scoring.reranker.Reranker`.

    Raises:
        ModelUnavailableError: The model is not on disk and cannot be downloaded now.
        RemoteCodeError: The model runs code from its repository and ``trust_remote_code`` is False.
        ValueError: A device, dtype or max_length the model or machine cannot take.

    Example:
        >>> import rerankkit
        >>> rr = rerankkit.load("tiny-random")
        >>> rr.info.random_weights, rr.info.device
        (True, 'cpu')
    """
    from rerankkit.scoring.reranker import Reranker

    started = time.perf_counter()
    spec = resolve_model_id(model)
    check_positive_int(batch_size, "batch_size")
    check_positive_int(max_batch_tokens, "max_batch_tokens", allow_none=True)
    devices = [choose_device(d) for d in device] if isinstance(device, (list, tuple)) else [choose_device(device)]
    if not devices:
        raise ValueError("device is an empty list: pass 'auto' or at least one device")
    fastest = isinstance(dtype, str) and dtype.strip().lower() == "fastest"
    if fastest and len(devices) > 1:
        raise ValueError("dtype='fastest' picks a path for one device: pass one device, or an explicit dtype")
    if fastest and devices[0] != "cpu":
        choice = gpu_fastest(devices[0])
        resolved_dtype, backend_reason = choose_dtype(choice.dtype, devices[0]), choice.reason
    else:
        resolved_dtype, backend_reason = choose_dtype("fp32" if fastest else dtype, devices[0]), ""

    known = lookup(tiny_hub_id(spec) if spec.startswith(TINY_PREFIX) else spec)
    if spec == TINY_RANDOM:
        path = tiny_random_path()
    elif spec.startswith(TINY_PREFIX):
        path = tiny_family_path(spec)
    elif spec.startswith(RANDOM_PREFIX):
        path = random_model_path(spec)
    else:
        check_remote_code(spec, known=known, folder=None, trust_remote_code=trust_remote_code, revision=revision)
        path = local_model_folder(spec, lambda hub_id: fetch_model(hub_id, cache_dir=cache_dir, revision=revision))
    # The quick check here; the thorough one (every JSON file parsed) only if the load below fails.
    check_model_folder(path, fix=_folder_fix(spec, path), thorough=False)
    check_remote_code(spec, known=None, folder=path, trust_remote_code=trust_remote_code, revision=revision)

    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(path, trust_remote_code=trust_remote_code)
    kind: ModelKind = known.kind if known else "encoder"
    flag_class = known.flag_class if known else "FlagReranker"
    if flag_class is None and kind == "encoder":
        # FlagReranker runs any AutoModelForSequenceClassification (gte, jina: with trust_remote_code).
        flag_class = "FlagReranker"
    # Decoders FlagEmbedding cannot load are read by the kit itself (rerankkit.scoring.decoder).
    own_decoder = known is not None and known.flag_class is None and known.family in LAYOUTS
    if instruction is not None and not own_decoder:
        raise ValueError(f"instruction= is for rerankers that take a task instruction (Qwen3-Reranker, "
                         f"mxbai-rerank-base-v2); {spec} takes none: leave instruction out")
    if flag_class is None and not own_decoder:
        raise ValueError(f"{spec} cannot be loaded with FlagEmbedding, and the kit has no other loader for it yet")
    if known is not None and (problem := flag_class_problem(known.family)):
        raise BrokenEnvironmentError(f"{spec} cannot be loaded: {problem}.")
    if (resolved_dtype == "int8" or (fastest and devices[0] == "cpu")) and (kind != "encoder" or len(devices) > 1):
        raise ValueError(
            f"dtype={dtype!r} runs encoder rerankers on one CPU device; "
            f"{spec} is a {kind} model on {len(devices)} device(s): use dtype='fp32' or 'bf16' there."
        )
    if (resolved_dtype == "int8" or (fastest and devices[0] == "cpu")) and getattr(config, "type_vocab_size", 1) > 1:
        # The int8 exports take input_ids and attention_mask only: BERT-style pairs would lose their token types.
        raise ValueError(
            f"dtype={dtype!r} runs models that read input_ids and attention_mask only; {spec} also reads token_type_ids "
            "(which text is the passage), so its int8 scores would be wrong: use dtype='fp32' or 'bf16'."
        )
    limit = model_limit(config, known)
    max_length = check_max_length(max_length, limit, spec)

    try:
        if own_decoder:
            assert known is not None
            flag = load_answer_token_reranker(
                os.fspath(path), known.family, device=devices[0], torch_dtype=torch_dtype(resolved_dtype),
                instruction=instruction, batch_size=batch_size, max_length=max_length,
            )
            flag_class = type(flag).__name__
        else:
            assert flag_class is not None
            with quiet_transformers():
                flag = _flag_class(flag_class)(
                    os.fspath(path),
                    use_fp16=resolved_dtype == "fp16",
                    devices=devices,
                    max_length=max_length,
                    batch_size=batch_size,
                    normalize=False,
                    cache_dir=os.fspath(cache_dir) if cache_dir is not None else None,
                    trust_remote_code=trust_remote_code,
                )
    except Exception as exc:
        # A file damaged inside (its ends intact) fails here: name it rather than the library's parse error.
        check_model_folder(path, fix=_folder_fix(spec, path), cause=exc)
        raise
    flag.model.eval()
    flag.model.to(device=devices[0], dtype=torch_dtype(resolved_dtype))
    n_parameters = sum(p.numel() for p in flag.model.parameters())
    marker = read_marker(path)
    # A tiny-random:<hub id> build is the kit's own: the named model's licence is not its.
    licensed = None if spec.startswith(TINY_PREFIX) else known
    note_licence(spec, licensed)
    backend = "torch"
    if fastest and devices[0] == "cpu":
        choice = choose_fastest(flag, path, batch_size=batch_size, max_length=max_length)
        resolved_dtype, backend, backend_reason = choice.dtype, choice.backend, choice.reason
    elif resolved_dtype == "int8":
        from rerankkit.backends import choose_int8_backend, quantize_int8

        chosen, backend_reason = choose_int8_backend()
        backend = quantize_int8(flag, path, backend=chosen)
    info = ModelInfo(
        model_id=spec,
        path=os.fspath(path),
        kind=kind,
        flag_class=flag_class,
        device=devices[0] if len(devices) == 1 else ",".join(devices),
        dtype=resolved_dtype,
        max_length=max_length,
        model_max_length=limit,
        n_parameters=n_parameters,
        load_seconds=time.perf_counter() - started,
        random_weights=bool(marker.get("random_weights", False)),
        timing_only=bool(marker.get("timing_only", False)),
        backend=backend,
        licence=licensed.licence if licensed else "",
        backend_reason=backend_reason,
    )
    if max_batch_tokens is None and devices == ["cpu"]:
        max_batch_tokens = CPU_MAX_BATCH_TOKENS
    return Reranker(flag, info, batch_size=batch_size, max_batch_tokens=max_batch_tokens)
