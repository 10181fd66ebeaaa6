"""A loss curve as inline SVG: light enough to redraw after every training step in a widget.

Example:
    >>> svg = loss_curve_svg([(1, 2.0), (2, 1.5), (3, 1.2)], total=10)
    >>> svg.startswith("<svg") and svg.count("<polyline") == 1
    True
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

__all__ = ["loss_curve_svg"]


def loss_curve_svg(losses: Sequence[tuple[int, float]], *, total: int, width: int = 480, height: int = 180,
                   title: str = "training loss") -> str:
    """``(step, loss)`` points as an SVG line over steps ``0..total``, with the last loss written out."""
    pad = 36
    finite = [(s, v) for s, v in losses if math.isfinite(v)]
    if not finite:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"><text x="{pad}" '
                f'y="{height // 2}" font-size="12" fill="#555">{html.escape(title)}: no step yet</text></svg>')
    lo, hi = min(v for _, v in finite), max(v for _, v in finite)
    span = hi - lo or 1.0

    def xy(step: int, value: float) -> str:
        x = pad + (width - 2 * pad) * step / max(total, 1)
        y = pad / 2 + (height - 1.5 * pad) * (1 - (value - lo) / span)
        return f"{x:.1f},{y:.1f}"

    points = " ".join(xy(s, v) for s, v in finite)
    step, last = finite[-1]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="{html.escape(title)}">'
            f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#999"/>'
            f'<line x1="{pad}" y1="{pad / 2}" x2="{pad}" y2="{height - pad}" stroke="#999"/>'
            f'<polyline points="{points}" fill="none" stroke="#1565c0" stroke-width="2"/>'
            f'<text x="{pad}" y="{height - 8}" font-size="11" fill="#555">step 0</text>'
            f'<text x="{width - pad}" y="{height - 8}" font-size="11" fill="#555" text-anchor="end">{total}</text>'
            f'<text x="{pad + 4}" y="{pad / 2 + 10}" font-size="11" fill="#555">{hi:.3g}</text>'
            f'<text x="{pad + 4}" y="{height - pad - 4}" font-size="11" fill="#555">{lo:.3g}</text>'
            f'<text x="{width - pad}" y="{pad / 2 + 10}" font-size="12" text-anchor="end">{html.escape(title)}: '
            f'step {step}, loss {last:.4f}</text></svg>')
