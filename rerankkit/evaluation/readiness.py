"""Everything the notebooks use, fetched once for offline use, and a check that says what is missing.

``rerankkit prepare`` fetches every item of :data:`ITEMS` (the reranker, the dense encoder, the data sets
notebook 07 offers); ``rerankkit prepare --check`` only looks (no network) and names, for each missing item,
its size and the command that fetches it.

Example:
    >>> items = [Item("model", "tiny", "a folder", 1_000, lambda: True, lambda: None, "make it")]
    >>> report = check(items)
    >>> report.ready, report.summary()
    (True, 'ready for offline use: 1 item (1.0 kB)')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rerankkit.errors import ModelUnavailableError
from rerankkit.evaluation.datasets import DatasetUnavailableError, dataset_cache_dir, prepare

__all__ = ["SPECS", "Item", "Readiness", "check", "fetch_all", "items", "human_size"]

# What the notebooks use. Sizes are the download sizes (safetensors weights and tokenizer; ir_datasets archives).
ENCODER = "BAAI/bge-m3"
RERANKER = "BAAI/bge-reranker-v2-m3"
DATASETS = ("nanobeir/scifact",)


def human_size(n: int) -> str:
    """Bytes in kB/MB/GB (powers of 1000).

    Example:
        >>> human_size(2_270_000_000)
        '2.3 GB'
    """
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"  # pragma: no cover


@dataclass(frozen=True)
class Item:
    """One thing the notebooks use.

    Attributes:
        kind: ``model``, ``encoder`` or ``dataset``.
        name: Hub id or data set name.
        used_by: Which notebooks use it.
        size: Approximate download size in bytes.
        present: Whether it is in the local cache (no network).
        fetch: Downloads it into the cache (network).
        command: The command that fetches it alone.
    """

    kind: str
    name: str
    used_by: str
    size: int
    present: Callable[[], bool]
    fetch: Callable[[], object]
    command: str


def _model_present(hub_id: str) -> bool:
    from rerankkit.models.hub import fetch_model

    try:
        fetch_model(hub_id, download=False)
    except ModelUnavailableError:
        return False
    return True


def _dataset_present(name: str) -> bool:
    return (dataset_cache_dir(name) / "qrels.trec").is_file()


# (kind, name, used by, approximate download size in bytes): what `rerankkit prepare` fetches.
SPECS: list[tuple[str, str, str, int]] = [
    ("model", RERANKER, "notebooks 00-07", 2_270_000_000),
    ("encoder", ENCODER, "notebooks 04, 10 (dense first stage)", 2_290_000_000),
    *[("dataset", name, "notebook 07 (benchmarks)", 6_000_000) for name in DATASETS],
]


def _item(kind: str, name: str, used_by: str, size: int) -> Item:
    from rerankkit.models.hub import fetch_model

    if kind == "dataset":
        return Item(kind, name, used_by, size, lambda: _dataset_present(name), lambda: prepare(name),
                    f"rerankkit prepare --dataset {name}")
    return Item(kind, name, used_by, size, lambda: _model_present(name), lambda: fetch_model(name),
                f"rerankkit download --model {name}")


def items() -> list[Item]:
    """The items of :data:`SPECS`, with their checks and fetchers."""
    return [_item(*spec) for spec in SPECS]


@dataclass(frozen=True)
class Readiness:
    """What is present and what is missing, with the command for each missing item."""

    present: tuple[Item, ...]
    missing: tuple[Item, ...]
    errors: tuple[tuple[Item, str], ...] = ()

    @property
    def ready(self) -> bool:
        return not self.missing

    def lines(self) -> list[str]:
        out = []
        for item in self.present:
            out.append(f"  ok       {item.kind:<8} {item.name:<28} {human_size(item.size):>9}  ({item.used_by})")
        errors = dict((i.name, e) for i, e in self.errors)
        for item in self.missing:
            why = f" - {errors[item.name]}" if item.name in errors else ""
            out.append(f"  MISSING  {item.kind:<8} {item.name:<28} {human_size(item.size):>9}  fix: {item.command}{why}")
        return out

    def summary(self) -> str:
        total = sum(i.size for i in self.present)
        if self.ready:
            n = len(self.present)
            return f"ready for offline use: {n} item{'s' * (n != 1)} ({human_size(total)})"
        names = ", ".join(i.name for i in self.missing)
        return (f"NOT ready for offline use: missing {names} ({human_size(sum(i.size for i in self.missing))}); "
                "run `rerankkit prepare` with network access")


def check(what: Sequence[Item] | None = None) -> Readiness:
    """Look in the caches only (no network): which items are present."""
    listed = list(items() if what is None else what)
    present = tuple(i for i in listed if i.present())
    return Readiness(present, tuple(i for i in listed if i not in present))


def fetch_all(what: Sequence[Item] | None = None, *, log: Callable[[str], None] = print) -> Readiness:
    """Fetch every missing item (each shows its own progress bar), then check again.

    A failed item is reported with its reason and the others still run; Ctrl-C keeps what finished.
    """
    listed = list(items() if what is None else what)
    missing = [i for i in listed if not i.present()]
    total = sum(i.size for i in missing)
    log(f"{len(listed) - len(missing)} of {len(listed)} items already cached; fetching {len(missing)} "
        f"({human_size(total)})")
    errors: list[tuple[Item, str]] = []
    for n, item in enumerate(missing, start=1):
        log(f"[{n}/{len(missing)}] {item.kind} {item.name} ({human_size(item.size)})")
        try:
            item.fetch()
        except (ModelUnavailableError, DatasetUnavailableError, OSError, ValueError, ImportError) as exc:
            errors.append((item, str(exc).splitlines()[0]))
            log(f"    failed: {str(exc).splitlines()[0]}")
    after = check(listed)
    return Readiness(after.present, after.missing, tuple(errors))
