"""The three int8 providers: torch dynamic quantization, ONNX Runtime, OpenVINO (NNCF weight compression)."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path
from typing import Any

from rerankkit._utils.optional import require
from rerankkit.backends.base import (
    ExportedClassifier,
    atomic_build,
    cache_dir,
    export_onnx,
    packages_installed,
    quiet_tracing,
)

__all__ = ["TorchInt8", "OnnxRuntimeInt8", "OpenVinoInt8"]


class TorchInt8:
    """``torch.ao.quantization.quantize_dynamic`` on every ``nn.Linear``: int8 weights, no extra package."""

    name = "torch"
    packages: tuple[str, ...] = ("torch",)
    extra: str | None = None

    def is_available(self) -> bool:
        return packages_installed(self.packages)

    def quantize(self, model: Any, model_path: str | os.PathLike) -> Any:
        import torch
        from torch.ao.quantization import quantize_dynamic

        with warnings.catch_warnings():
            # torch announces a move of its quantization API to torchao; the API works today.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*")
            return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


class OnnxRuntimeInt8:
    """Export to ONNX (dynamic batch and sequence axes), then ONNX Runtime's ``quantize_dynamic``."""

    name = "onnxruntime"
    packages: tuple[str, ...] = ("onnxruntime", "onnx")
    extra: str | None = "onnx"

    def is_available(self) -> bool:
        return packages_installed(self.packages)

    def quantize(self, model: Any, model_path: str | os.PathLike) -> ExportedClassifier:
        import torch

        ort = require("onnxruntime", feature="the ONNX Runtime int8 path")
        quantization = require("onnxruntime.quantization", feature="the ONNX Runtime int8 path")

        def build(workdir: Path) -> None:
            # The fp32 export of a large model spills its tensors into many files: keep them apart and drop them.
            (workdir / "fp32").mkdir()
            fp32 = export_onnx(model, workdir / "fp32" / "model.onnx")
            quantization.quantize_dynamic(os.fspath(fp32), os.fspath(workdir / "model-int8.onnx"),
                                          weight_type=quantization.QuantType.QInt8,
                                          use_external_data_format=True)  # fp32 exports of large models pass 2 GB
            shutil.rmtree(workdir / "fp32")

        folder = atomic_build(cache_dir(model_path, "onnxruntime"), build)
        options = ort.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        session = ort.InferenceSession(os.fspath(folder / "model-int8.onnx"), options, providers=["CPUExecutionProvider"])

        def run(ids, mask):
            return session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

        return ExportedClassifier(run, model.config, "onnxruntime")



class OpenVinoInt8:
    """``openvino.convert_model`` straight from PyTorch, then NNCF's int8 weight compression."""

    name = "openvino"
    packages: tuple[str, ...] = ("openvino", "nncf")
    extra: str | None = "openvino"

    def is_available(self) -> bool:
        return packages_installed(self.packages)

    def quantize(self, model: Any, model_path: str | os.PathLike) -> ExportedClassifier:
        import torch

        ov = require("openvino", feature="the OpenVINO int8 path")

        def build(workdir: Path) -> None:
            nncf = require("nncf", feature="the OpenVINO int8 path")
            example = {"input_ids": torch.ones(2, 16, dtype=torch.long), "attention_mask": torch.ones(2, 16, dtype=torch.long)}
            with quiet_tracing():
                converted = ov.convert_model(model, example_input=example)
            compressed = nncf.compress_weights(converted, mode=nncf.CompressWeightsMode.INT8_ASYM)
            ov.save_model(compressed, os.fspath(workdir / "model-int8.xml"))

        folder = atomic_build(cache_dir(model_path, "openvino"), build)
        core = ov.Core()
        compiled = core.compile_model(
            os.fspath(folder / "model-int8.xml"), "CPU",
            {"INFERENCE_NUM_THREADS": torch.get_num_threads(), "PERFORMANCE_HINT": "LATENCY"},
        )
        request = compiled.create_infer_request()

        def run(ids, mask):
            return request.infer({"input_ids": ids, "attention_mask": mask})[0]

        return ExportedClassifier(run, model.config, "openvino")

