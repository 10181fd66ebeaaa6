"""A peer contender in its own environment: sentence-transformers with ONNX Runtime or OpenVINO int8.

Started by ``benchmarks/cpu_fast_paths.py`` with a peer environment's Python; speaks the JSON-line
protocol of ``protocol.py`` on stdin/stdout (everything the libraries print goes to stderr).
It does not import rerankkit: peer environments carry other transformers versions.

Contenders it builds (untimed; cached under the ``cache`` folder main passes):

- ``st-onnx-int8``: ``export_dynamic_quantized_onnx_model`` with the ISA config that fits this CPU
  (``avx512_vnni``, else ``avx512``, else ``avx2``), run by ONNX Runtime;
- ``st-openvino-int8-static``: ``export_static_quantized_openvino_model`` calibrated on the strings main
  passes (rerankkit's own calibration pairs, each written as one text; saved as a local parquet dataset,
  ``num_samples`` = their number), run by OpenVINO;
- ``st-openvino``: the OpenVINO export at OpenVINO's defaults.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peers.protocol import ProtocolError, cpu_flags, decode, encode, onnx_quantization_config  # noqa: E402

CONTENDERS = ("st-onnx-int8", "st-openvino-int8-static", "st-openvino")


def _model_copy(model_path: Path, target: Path) -> tuple[Path, str]:
    """A folder that links the model's files, so exports land beside them without touching the original.

    A tokenizer class this transformers version lacks (transformers 5 writes ``TokenizersBackend``)
    becomes ``PreTrainedTokenizerFast``, which reads the same ``tokenizer.json``; the second value says so.
    """
    import transformers

    target.mkdir(parents=True, exist_ok=True)
    note = ""
    for item in model_path.iterdir():
        link = target / item.name
        if not item.is_file():
            continue
        if item.name == "tokenizer_config.json":
            config = json.loads(item.read_text(encoding="utf-8"))
            name = config.get("tokenizer_class")
            if name and getattr(transformers, name, None) is None and (model_path / "tokenizer.json").exists():
                config["tokenizer_class"] = "PreTrainedTokenizerFast"
                note = f"; tokenizer class {name} read as PreTrainedTokenizerFast (transformers {transformers.__version__})"
            if link.is_symlink() or link.exists():
                link.unlink()
            link.write_text(json.dumps(config, indent=2), encoding="utf-8")
        elif not link.exists():
            link.symlink_to(item.resolve())
    return target, note


def _calibration_dataset(strings: list[str], folder: Path) -> Path:
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"text": strings}).to_parquet(folder / "train.parquet", index=False)
    return folder


def _build(name: str, setup: dict, cache: Path):
    from sentence_transformers import CrossEncoder

    threads = int(setup["threads"])
    max_length = int(setup["max_length"])
    model_path = Path(setup["model"])
    key = hashlib.sha256(str(model_path.resolve()).encode()).hexdigest()[:10]
    if name == "st-onnx-int8":
        import onnxruntime as ort
        from sentence_transformers import export_dynamic_quantized_onnx_model

        config = onnx_quantization_config(cpu_flags())
        folder, note = _model_copy(model_path, cache / f"{model_path.name}-{key}-onnx")
        file_name = f"onnx/model_qint8_{config}.onnx"
        if not (folder / file_name).exists():
            exporter = CrossEncoder(str(folder), backend="onnx", device="cpu", max_length=max_length)
            export_dynamic_quantized_onnx_model(exporter, quantization_config=config, model_name_or_path=str(folder))
            del exporter
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        model = CrossEncoder(str(folder), backend="onnx", device="cpu", max_length=max_length,
                             model_kwargs={"file_name": file_name, "provider": "CPUExecutionProvider",
                                           "session_options": options})
        return model, f"ONNX Runtime, dynamic int8, quantization config {config}{note}"
    if name in ("st-openvino-int8-static", "st-openvino"):
        ov_config = {"INFERENCE_NUM_THREADS": str(threads)}
        folder, note = _model_copy(model_path, cache / f"{model_path.name}-{key}-openvino")
        if name == "st-openvino":
            file_name = "openvino/openvino_model.xml"
            if not (folder / file_name).exists():
                exporter = CrossEncoder(str(folder), backend="openvino", device="cpu", max_length=max_length)
                exporter.save_pretrained(str(folder))
                del exporter
            detail = "OpenVINO export, OpenVINO's default precision"
        else:
            from optimum.intel import OVQuantizationConfig
            from sentence_transformers import export_static_quantized_openvino_model

            strings = list(setup["calibration"])
            digest = hashlib.sha256(json.dumps(strings).encode()).hexdigest()[:8]
            suffix = f"qint8_static_{digest}"
            file_name = f"openvino/openvino_model_{suffix}.xml"
            if not (folder / file_name).exists():
                data = _calibration_dataset(strings, cache / f"calibration-{digest}")
                exporter = CrossEncoder(str(folder), backend="openvino", device="cpu", max_length=max_length)
                export_static_quantized_openvino_model(
                    exporter, OVQuantizationConfig(num_samples=len(strings)), str(folder),
                    dataset_name=str(data), dataset_config_name="default", dataset_split="train",
                    column_name="text", file_suffix=suffix)
                del exporter
            detail = (f"OpenVINO, static int8 (NNCF), calibrated on {len(strings)} texts (the exporter pads and "
                      "truncates each to 384 tokens)")
        model = CrossEncoder(str(folder), backend="openvino", device="cpu", max_length=max_length,
                             model_kwargs={"file_name": file_name, "ov_config": ov_config})
        return model, detail + note
    raise ValueError(f"unknown peer contender {name!r}: use one of {', '.join(CONTENDERS)}")


def _predict(model, pairs: list[list[str]], batch_size: int) -> list[float]:
    import torch

    tuples = [tuple(p) for p in pairs]
    try:
        out = model.predict(tuples, batch_size=batch_size, activation_fn=torch.nn.Identity(), show_progress_bar=False)
    except TypeError:  # older sentence-transformers name the argument activation_fct
        out = model.predict(tuples, batch_size=batch_size, activation_fct=torch.nn.Identity(), show_progress_bar=False)
    return [float(x) for x in list(out)]


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0]}
    for package in ("torch", "transformers", "sentence-transformers", "optimum", "optimum-onnx", "optimum-intel",
                    "onnxruntime", "openvino", "nncf"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found


def check() -> None:
    """Import what the contenders need and print the versions (``worker.py --check``, run after setup)."""
    import sentence_transformers  # noqa: F401

    for name in ("export_dynamic_quantized_onnx_model", "export_static_quantized_openvino_model"):
        if not hasattr(sentence_transformers, name):
            raise SystemExit(f"sentence-transformers {sentence_transformers.__version__} lacks {name}")
    versions = _versions()
    if "onnxruntime" in versions:
        from optimum.onnxruntime import ORTModelForSequenceClassification  # noqa: F401
    if "openvino" in versions:
        from optimum.intel import OVModelForSequenceClassification, OVQuantizationConfig  # noqa: F401
    print("peer environment ready: " + ", ".join(f"{k} {v}" for k, v in versions.items()))


def main() -> None:
    if sys.argv[1:] == ["--check"]:
        check()
        return
    protocol_out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # anything the libraries print (even from C) goes to stderr, not into the protocol
    sys.stdout = sys.stderr

    def send(message: dict) -> None:
        protocol_out.write(encode(message))
        protocol_out.flush()

    setup = decode(sys.stdin.readline())
    if setup["type"] != "setup":
        raise ProtocolError(f"expected a setup message first, got {setup['type']!r}")
    import torch

    torch.set_num_threads(int(setup["threads"]))
    cache = Path(setup["cache"])
    cache.mkdir(parents=True, exist_ok=True)
    models, built = {}, {}
    errors = {}
    for name in setup["contenders"]:
        started = time.perf_counter()
        try:
            models[name], detail = _build(name, setup, cache)
            built[name] = {"detail": detail, "build_s": round(time.perf_counter() - started, 1)}
        except Exception as exc:  # report it and keep the other contenders
            errors[name] = f"{type(exc).__name__}: {exc}"
    send({"type": "ready", "built": built, "errors": errors, "versions": _versions()})
    pairs, warm = setup["pairs"], setup["warm"]
    for line in sys.stdin:
        message = decode(line)
        if message["type"] == "quit":
            break
        name = message.get("contender")
        if name not in models:
            send({"type": "error", "contender": name, "error": f"contender {name!r} is not built here"})
            continue
        if not isinstance(message.get("batch_size"), int) or message["batch_size"] < 1:
            send({"type": "error", "contender": name,
                  "error": f"{message['type']} needs a batch_size of 1 or more, got {message.get('batch_size')!r}"})
            continue
        batch_size = message["batch_size"]
        if message["type"] == "warmup":
            _predict(models[name], warm, batch_size)
            send({"type": "done", "contender": name})
        elif message["type"] == "go":
            start = time.perf_counter()
            scores = _predict(models[name], pairs, batch_size)
            seconds = time.perf_counter() - start
            send({"type": "result", "contender": name, "seconds": seconds, "scores": scores})
        else:
            send({"type": "error", "contender": name, "error": f"unexpected message type {message['type']!r}"})


if __name__ == "__main__":
    main()
