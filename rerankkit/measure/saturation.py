"""Where a sigmoid in half precision stops telling logits apart.

fp16 has 10 mantissa bits: the largest value below 1.0 is ``1 - 2**-11``. A sigmoid computed in
fp16 therefore returns exactly 1.0 once ``1 - sigmoid(x)`` falls below half that gap, and every
logit beyond that point collapses onto the same score. This module finds that point by asking
torch itself (no constant is written down), for any dtype.

Example:
    >>> x16 = saturation_logit("fp16")
    >>> 5.0 < x16 < 12.0
    True
    >>> saturation_logit("fp32") > x16
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import torch

__all__ = ["SWEEP_DTYPES", "saturation_logit", "sigmoid_sweep", "distinct_scores"]

SWEEP_DTYPES = ("fp16", "bf16", "fp32")
_NAMES = {"fp16": "float16", "bf16": "bfloat16", "fp32": "float32", "fp64": "float64"}


def _dtype(name: str) -> torch.dtype:
    import torch

    if name not in _NAMES:
        raise ValueError(f"dtype must be one of {sorted(_NAMES)}, got {name!r}")
    return getattr(torch, _NAMES[name])


def _sigmoid_in(values: np.ndarray, name: str) -> np.ndarray:
    import torch

    t = torch.as_tensor(np.asarray(values, dtype=np.float64)).to(_dtype(name))
    return torch.sigmoid(t).to(torch.float64).numpy()


def saturation_logit(dtype: str = "fp16") -> float:
    """The smallest logit, representable in ``dtype``, whose sigmoid computed in ``dtype`` is exactly 1.0.

    Found by bisection on torch's own ``sigmoid`` and then stepped to the exact representable
    boundary with ``torch.nextafter``.

    Example:
        >>> import torch
        >>> x = saturation_logit("fp16")
        >>> float(torch.sigmoid(torch.tensor(x, dtype=torch.float16)))
        1.0
        >>> below = torch.nextafter(torch.tensor(x, dtype=torch.float16), torch.tensor(0.0, dtype=torch.float16))
        >>> float(torch.sigmoid(below)) < 1.0
        True
    """
    import torch

    dt = _dtype(dtype)

    def saturated(x: torch.Tensor) -> bool:
        return bool(torch.sigmoid(x) == 1.0)

    lo, hi = torch.tensor(0.0, dtype=dt), torch.tensor(1000.0, dtype=dt)
    if not saturated(hi):
        raise ValueError(f"sigmoid in {dtype} never reaches 1.0 below a logit of 1000")
    for _ in range(200):
        mid = ((lo.double() + hi.double()) / 2).to(dt)
        if mid in (lo, hi):
            break
        if saturated(mid):
            hi = mid
        else:
            lo = mid
    # hi saturates, lo does not; step down from hi while its neighbour still saturates.
    while True:
        below = torch.nextafter(hi, torch.tensor(0.0, dtype=dt)) if dt != torch.bfloat16 else \
            (hi.double() - _spacing(hi)).to(dt)
        if below < hi and saturated(below):
            hi = below
        else:
            return float(hi)


def _spacing(x: torch.Tensor) -> float:
    # torch.nextafter does not take bfloat16: one unit in the last place of its 7-bit mantissa.
    import math

    _, exponent = math.frexp(float(x))
    return 2.0 ** (exponent - 8)


def sigmoid_sweep(logits: Sequence[float] | np.ndarray, dtypes: Sequence[str] = ("fp16", "fp32")) -> pd.DataFrame:
    """The sigmoid of each logit computed in float64 and in each of ``dtypes`` (input cast to that dtype first).

    Returns:
        ``logit``, ``sigmoid_fp64`` and ``sigmoid_<dtype>`` columns, plus ``is_one_<dtype>`` where the
        result is exactly 1.0.

    Example:
        >>> frame = sigmoid_sweep([0.0, 30.0])
        >>> frame.is_one_fp16.tolist(), frame.sigmoid_fp16.tolist()[0]
        ([False, True], 0.5)
    """
    import pandas as pd

    values = np.asarray(logits, dtype=np.float64).reshape(-1)
    if values.size == 0 or not np.isfinite(values).all():
        raise ValueError("logits must be a non-empty sequence of finite numbers")
    frame = pd.DataFrame({"logit": values, "sigmoid_fp64": _sigmoid_in(values, "fp64")})
    for name in dtypes:
        out = _sigmoid_in(values, name)
        frame[f"sigmoid_{name}"] = out
        frame[f"is_one_{name}"] = out == 1.0
    return frame


def distinct_scores(low: float, high: float, dtype: str = "fp16", *, n: int = 10_001) -> dict[str, int]:
    """How many different logits and sigmoid scores ``dtype`` holds on an even grid of ``n`` points in [low, high].

    Example:
        >>> d = distinct_scores(20.0, 30.0, "fp16")
        >>> d["scores"]
        1
    """
    if not high > low:
        raise ValueError(f"high must be above low, got low={low!r}, high={high!r}")
    import torch

    grid = torch.linspace(low, high, n, dtype=torch.float64).to(_dtype(dtype))
    return {"logits": int(torch.unique(grid).numel()), "scores": int(torch.unique(torch.sigmoid(grid)).numel())}
