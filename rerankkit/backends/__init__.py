"""Fast paths behind one protocol: int8 on CPU with torch, ONNX Runtime or OpenVINO.

Example:
    >>> "torch" in INT8_BACKENDS and backend_available("torch")
    True
"""

from rerankkit.backends.registry import (
    INT8_BACKENDS,
    INT8_PREFERENCE,
    PROVIDERS,
    backend_available,
    default_int8_backend,
    quantize_int8,
)

__all__ = ["INT8_BACKENDS", "INT8_PREFERENCE", "PROVIDERS", "backend_available", "default_int8_backend", "quantize_int8"]
