"""The package's layers: every import points down, no cycles, no library module imports a front end.

Every ``import`` statement counts, also those inside functions; only imports under
``if TYPE_CHECKING:`` are left out (they never run). Layers are listed bottom first; a
module may import its own package, or any package of a lower layer. Packages that share a
layer are siblings and must not import each other.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

import pytest

import rerankkit

# Bottom first. Each entry: the top-level modules or packages of one layer.
LAYERS: list[set[str]] = [
    {"errors", "examples", "score_scale"},  # data, exceptions and the score scale: import nothing of the kit
    {"_utils", "cases"},  # argument checks, optional imports, cache folders; the packaged case sets
    {"display"},  # stylesheet, cards, explanation HTML, plots: render duck-typed results
    {"models"},  # catalogue, hub, devices and dtypes, synthetic test models
    {"backends"},  # int8 providers; load() picks one, so they sit below scoring
    {"scoring"},  # Reranker, results, load
    {"text"},  # words, truncation, chunking, cleaning
    {"retrieval"},  # first stages (BM25, dense)
    # doctor: the environment check that `rerankkit doctor` prints; exercises: the notebooks' self-checking exercises
    {"evaluation", "explain", "measure", "scale", "doctor", "exercises"},
    {"training"},  # fine-tuning: builds on evaluation (EvalData, evaluate) for its data and before/after figures
    {"serve"},  # the reranking service (Ray Serve app, API models, client): above scoring, beside nothing
    # rag: a pipeline stage above retrieval and scoring; it reads the evaluation fixture and calibration's cut
    {"rag"},
    # integrations: LangChain and LlamaIndex adapters, thin like the front ends, but users' code imports them
    {"integrations"},
    {"widgets", "cli", "notebook", "testing"},  # front ends and test helpers
]
# Nothing in the library may import these (only tests, notebooks and users do).
FRONT_ENDS = {"cli", "widgets", "notebook", "testing"}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_name(path: Path, root: Path, package: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts])


def imports_of(path: Path, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Modules of the kit that ``path`` imports at run time (top level and inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()

    def resolve(name: str) -> str | None:
        # The longest known module that ``name`` is, or lies in.
        while name:
            if name in known:
                return name
            name = name.rpartition(".")[0]
        return None

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (target := resolve(alias.name)) is not None:
                    found.add(target)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            for alias in node.names:
                target = resolve(f"{stem}.{alias.name}") if f"{stem}.{alias.name}" in known else resolve(stem)
                if target is not None:
                    found.add(target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(module)
    return found


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> kit modules it imports, for every ``.py`` file under ``root``."""
    files = {_module_name(p, root, package): p for p in sorted(root.rglob("*.py"))}
    known = set(files)
    return {m: imports_of(p, m, p.name == "__init__.py", known) for m, p in files.items()}


def _top(module: str, package: str) -> str:
    rest = module[len(package) + 1 :]
    return rest.split(".")[0] if rest else ""


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def connect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def violations(
    root: Path, package: str, layers: Sequence[set[str]], front_ends: set[str] = frozenset()
) -> list[str]:
    """Every broken rule of the layered import graph of the package at ``root``, as readable lines."""
    graph = import_graph(root, package)
    level = {name: i for i, layer in enumerate(layers) for name in layer}
    problems = []
    for module, targets in sorted(graph.items()):
        source = _top(module, package)
        for target in sorted(targets):
            dest = _top(target, package)
            if source == "" or source == dest:
                continue  # the facade imports anything below it; a package imports itself
            if dest == "":
                problems.append(f"{module} imports the facade {package} (import the module that defines the name)")
            elif dest in front_ends:
                problems.append(f"{module} imports the front end or test helper {target}")
            elif source not in level or dest not in level:
                problems.append(f"{module} -> {target}: {source if source not in level else dest!r} has no layer")
            elif level[dest] >= level[source]:
                kind = "sibling" if level[dest] == level[source] else "higher"
                problems.append(f"{module} imports {target}, from a {kind} layer")
    problems += [f"import cycle: {' -> '.join(cycle)}" for cycle in _cycles(graph)]
    return problems


def test_imports_point_down_the_layers() -> None:
    root = Path(rerankkit.__file__).parent
    assert violations(root, "rerankkit", LAYERS, FRONT_ENDS) == []


def test_every_module_has_a_layer() -> None:
    root = Path(rerankkit.__file__).parent
    tops = {_top(m, "rerankkit") for m in import_graph(root, "rerankkit")} - {""}
    assert tops <= set().union(*LAYERS), f"modules without a layer: {sorted(tops - set().union(*LAYERS))}"


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


CLEAN = {
    "__init__.py": "from .high import run\n",
    "low/__init__.py": "",
    "low/base.py": "VALUE = 1\n",
    "high.py": "from typing import TYPE_CHECKING\nfrom .low.base import VALUE\nif TYPE_CHECKING:\n    from .cli import x\n"
    "def run():\n    return VALUE\n",
    "cli.py": "from pkg.high import run\n",
}


def test_checker_passes_a_clean_package(tmp_path: Path) -> None:
    root = _package(tmp_path, CLEAN)
    assert violations(root, "pkg", [{"low"}, {"high"}, {"cli"}], {"cli"}) == []


def test_checker_finds_a_back_edge_inside_a_function(tmp_path: Path) -> None:
    files = dict(CLEAN, **{"low/base.py": "VALUE = 1\ndef later():\n    from ..high import run\n    return run\n"})
    found = violations(_package(tmp_path, files), "pkg", [{"low"}, {"high"}, {"cli"}], {"cli"})
    assert "pkg.low.base imports pkg.high, from a higher layer" in found
    assert any(line.startswith("import cycle: pkg.high -> pkg.low.base") for line in found)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from pkg.cli import run\n", "pkg.high imports the front end or test helper pkg.cli"),
        ("import pkg\n", "pkg.high imports the facade pkg (import the module that defines the name)"),
        ("from . import other\n", "pkg.high imports pkg.other, from a sibling layer"),
    ],
)
def test_checker_finds_front_end_facade_and_sibling_imports(tmp_path: Path, source: str, expected: str) -> None:
    files = dict(CLEAN, **{"high.py": source, "other.py": ""})
    found = violations(_package(tmp_path, files), "pkg", [{"low"}, {"high", "other"}, {"cli"}], {"cli"})
    assert expected in found


def test_checker_finds_a_cycle_inside_one_package(tmp_path: Path) -> None:
    files = dict(CLEAN, **{"low/a.py": "def f():\n    from .b import g\n", "low/b.py": "from .a import f\n"})
    found = violations(_package(tmp_path, files), "pkg", [{"low"}, {"high"}, {"cli"}], {"cli"})
    assert found == ["import cycle: pkg.low.a -> pkg.low.b"]
