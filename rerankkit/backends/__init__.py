"""Fast paths behind one protocol: int8 on CPU with torch, ONNX Runtime or OpenVINO (weight-only or static).

Example:
    >>> "torch" in INT8_BACKENDS and backend_available("torch")
    True
"""

from rerankkit.backends.registry import (
    INT8_BACKENDS,
    INT8_PREFERENCE,
    INT8_PREFERENCE_DOT,
    PROVIDERS,
    backend_available,
    choose_int8_backend,
    default_int8_backend,
    quantize_int8,
)

__all__ = ["INT8_BACKENDS", "INT8_PREFERENCE", "INT8_PREFERENCE_DOT", "PROVIDERS", "backend_available",
           "choose_int8_backend", "default_int8_backend", "quantize_int8"]
