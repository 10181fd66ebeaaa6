"""seaborn figures. Each function takes plain data (arrays, DataFrames, library results) and
returns a matplotlib Figure; none of them shows or saves anything."""

from __future__ import annotations

__all__: list[str] = []
