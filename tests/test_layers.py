"""The package's layers: every import of ``simulator/`` (module-level and inside functions) goes
to the module's own layer or below, and no set of modules imports itself round in a cycle.

Layers, lowest first: common (and the version), data (the shipped market files) -> model ->
pricing -> market (real paths, calendar, listed contracts, curve observations) -> calibration
-> strategy -> results -> scenario -> report -> optimize -> cli -> the
``simulator`` facade.
"""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simulator"
LAYERS = ("common", "data", "model", "pricing", "market", "calibration", "strategy", "results",
          "scenario", "report", "optimize", "cli")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    """Rank of a ``simulator...`` module; the facade ``simulator`` is the top."""
    parts = module.split(".")
    if len(parts) == 1:
        return len(LAYERS)
    if parts[1] == "_version":
        return 0
    return LAYERS.index(parts[1])


def _imports(path: Path) -> set[str]:
    """Every ``simulator`` module that ``path`` imports, anywhere in the file except under
    ``if TYPE_CHECKING:`` (annotations only, never imported at run time)."""
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in list(ast.walk(tree)):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "simulator":
            for alias in node.names:  # "from simulator.x import y" may name a module y
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if _is_module(candidate) else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "simulator"}
    return found


def _is_module(name: str) -> bool:
    rel = Path(*name.split(".")[1:])
    return (PACKAGE / rel).with_suffix(".py").is_file() or (PACKAGE / rel / "__init__.py").is_file()


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def test_every_module_has_a_layer():
    for module in _graph():
        assert _layer(module) >= 0, module


def test_no_import_goes_up_a_layer():
    upward = [f"{src} -> {dst}" for src, targets in _graph().items() for dst in targets
              if _layer(dst) > _layer(src)]
    assert not upward, "imports from a higher layer:\n" + "\n".join(sorted(upward))


def test_no_import_cycles():
    graph = {m: {t for t in targets if t != m} for m, targets in _graph().items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph.get(node, set())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*path[path.index(nxt):], nxt]))
            elif nxt in graph and state.get(nxt) is None:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(graph):
        if state.get(module) is None:
            visit(module, [module])
    # a package's __init__ re-exporting its own modules is not a cycle of logic
    cycles = [c for c in cycles if not _only_package_reexports(c)]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def _only_package_reexports(cycle: str) -> bool:
    nodes = cycle.split(" -> ")
    return any(b.startswith(a + ".") and (PACKAGE / Path(*a.split(".")[1:]) / "__init__.py")
               .is_file() for a, b in itertools.pairwise(nodes))


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_imports_on_its_own_in_a_fresh_interpreter(layer):
    """Importing a layer alone works: it needs nothing above it to be imported first."""
    module = f"simulator.{layer}"
    code = (f"import {module}, sys; loaded = sorted({{m.split('.')[1] for m in sys.modules "
            f"if m.startswith('simulator.') and m.count('.') >= 1}}); print(loaded)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    loaded = set(ast.literal_eval(out))
    higher = {name for name in loaded if name in LAYERS
              and LAYERS.index(name) > LAYERS.index(layer)}
    assert not higher, f"importing {module} loaded {sorted(higher)}"


def test_the_command_line_parser_imports_no_heavy_module():
    """``alvh --help`` stays instant: the cli package and its parser load the standard
    library only; each command imports what it needs when it runs."""
    code = ("import sys, simulator.cli as cli; cli.build_parser(); print(sorted(m for m in "
            "('numpy', 'numba', 'xarray', 'yaml', 'pydantic', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert ast.literal_eval(out) == []
