"""The int8 providers: torch dynamic quantization, ONNX Runtime, OpenVINO (NNCF weight compression), and
OpenVINO static int8 (NNCF post-training quantization calibrated on the packaged case sets)."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rerankkit._utils.cpu import INT8_DOT_FLAGS, cpu_flags
from rerankkit._utils.optional import require
from rerankkit.backends.base import (
    ExportedClassifier,
    atomic_build,
    cache_dir,
    export_onnx,
    packages_installed,
    quiet_tracing,
)
from rerankkit.backends.calibration import calibration_inputs, calibration_key

__all__ = ["TorchInt8", "OnnxRuntimeInt8", "OpenVinoInt8", "OpenVinoStaticInt8", "openvino_config"]


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

        ov = require("openvino", feature="the OpenVINO int8 path")

        def build(workdir: Path) -> None:
            nncf = require("nncf", feature="the OpenVINO int8 path")
            converted = _convert_to_openvino(ov, model)
            with _quiet_nncf():
                compressed = nncf.compress_weights(converted, mode=nncf.CompressWeightsMode.INT8_ASYM)
            ov.save_model(compressed, os.fspath(workdir / "model-int8.xml"))

        folder = atomic_build(cache_dir(model_path, "openvino"), build)
        return _openvino_classifier(folder / "model-int8.xml", model.config, self.name)


@contextlib.contextmanager
def _quiet_nncf() -> Iterator[None]:
    """NNCF's rich progress bars and info logs, kept out of the notebook: they are cut off at the output's edge,
    and the build runs once per machine (its result is cached)."""
    import logging

    logger = logging.getLogger("nncf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


class OpenVinoStaticInt8:
    """Static int8: weights and activations in int8, ranges calibrated with ``nncf.quantize``.

    ``openvino.convert_model`` from PyTorch, then NNCF post-training quantization with
    ``ModelType.TRANSFORMER`` (SmoothQuant on the matmuls, fast bias correction) on
    :data:`~rerankkit.backends.calibration.CALIBRATION_SIZE` tokenized pairs of the packaged
    case sets (:func:`~rerankkit.backends.calibration.calibration_pairs`). Unlike weight-only
    compression, the matmuls themselves run in int8 (VNNI/AMX where the CPU has them).
    """

    name = "openvino-static"
    packages: tuple[str, ...] = ("openvino", "nncf")
    extra: str | None = "openvino"

    def is_available(self) -> bool:
        return packages_installed(self.packages)

    def quantize(self, model: Any, model_path: str | os.PathLike) -> ExportedClassifier:

        ov = require("openvino", feature="the OpenVINO static int8 path")

        def build(workdir: Path) -> None:
            from transformers import AutoTokenizer

            nncf = require("nncf", feature="the OpenVINO static int8 path")
            converted = _convert_to_openvino(ov, model)
            items = calibration_inputs(AutoTokenizer.from_pretrained(os.fspath(model_path)))
            # Without an int8 dot-product instruction (VNNI, AMX) the CPU multiplies u8 by s8 into int16 pairs
            # that saturate; NNCF's overflow fix keeps every layer's weights in 7 bits so they cannot.
            overflow = nncf.OverflowFix.FIRST_LAYER if dot_product else nncf.OverflowFix.ENABLE
            with _quiet_nncf():
                quantized = nncf.quantize(
                    converted, nncf.Dataset(items), model_type=nncf.ModelType.TRANSFORMER,
                    preset=nncf.QuantizationPreset.MIXED, subset_size=len(items), fast_bias_correction=True,
                    advanced_parameters=nncf.AdvancedQuantizationParameters(overflow_fix=overflow),
                )
            ov.save_model(quantized, os.fspath(workdir / "model-int8.xml"))

        dot_product = bool(cpu_flags() & set(INT8_DOT_FLAGS))
        # The cache follows the calibration pairs and settings as well as the model.
        recipe = calibration_key(model_type="transformer", preset="mixed", fast_bias_correction=True,
                                 overflow_fix="first_layer" if dot_product else "all")
        folder = atomic_build(cache_dir(model_path, f"{self.name}-{recipe}"), build)
        return _openvino_classifier(folder / "model-int8.xml", model.config, self.name)


def openvino_config(threads: int | None = None) -> dict[str, Any]:
    """The OpenVINO CPU plugin settings rerankkit compiles with: one stream, latency hint, torch's thread count.

    Example:
        >>> openvino_config(2)["INFERENCE_NUM_THREADS"]
        2
    """
    import torch

    return {"INFERENCE_NUM_THREADS": threads or torch.get_num_threads(), "PERFORMANCE_HINT": "LATENCY"}


def _convert_to_openvino(ov: Any, model: Any) -> Any:
    """``openvino.convert_model`` from PyTorch, traced on a small example with dynamic batch and length."""
    import torch

    example = {"input_ids": torch.ones(2, 16, dtype=torch.long), "attention_mask": torch.ones(2, 16, dtype=torch.long)}
    with quiet_tracing():
        return ov.convert_model(model, example_input=example)


def _openvino_classifier(xml: Path, config: Any, backend: str) -> ExportedClassifier:
    import openvino as ov

    compiled = ov.Core().compile_model(os.fspath(xml), "CPU", openvino_config())
    request = compiled.create_infer_request()

    def run(ids, mask):
        return request.infer({"input_ids": ids, "attention_mask": mask})[0]

    return ExportedClassifier(run, config, backend)
