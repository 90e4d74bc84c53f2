"""The house's layering: dependencies point one way and private names stay in their module.

Every module's imports are read from its source, including imports inside functions (which hide
cycles from Python but not from a reader). Packages (``embedkit.models``, ...) and top-level
modules (``embedkit.persist``, ...) are the nodes; the root ``embedkit/__init__.py`` is the
public facade and is left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import embedkit

ROOT = Path(embedkit.__file__).parent
PENDING: set = set()
PENDING_PRIVATE: tuple = ()


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(path: Path):
    """``(line, module, name)`` of every embedkit import in ``path`` (any depth)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("embedkit"):
                    yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.startswith("embedkit"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                if sub in MODULES:
                    yield node.lineno, sub, None
                else:
                    yield node.lineno, node.module, alias.name


def _node(module: str) -> str:
    """The package (or top-level module) a module belongs to."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        if module == "embedkit":
            continue
        src = _node(module)
        for _, target, _ in _imports(path):
            dst = _node(target)
            if dst != src and dst != "embedkit" and (src, dst) not in PENDING:
                edges.setdefault(src, set()).add(dst)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_package_cycles():
    assert _cycles(_graph()) == []


def test_layers_point_one_way():
    edges = _graph()
    below = {  # what each layer must never import (the layers above it)
        "embedkit.engine": {"embedkit.models", "embedkit.cli", "embedkit.eval",
                            "embedkit.bench", "embedkit.theory"},
        "embedkit.distributed": {"embedkit.models", "embedkit.cli", "embedkit.eval",
                                 "embedkit.bench"},
        "embedkit.contexts": {"embedkit.engine", "embedkit.distributed", "embedkit.models",
                              "embedkit.samplers", "embedkit.cli"},
        "embedkit.samplers": {"embedkit.engine", "embedkit.distributed", "embedkit.models",
                              "embedkit.contexts", "embedkit.cli"},
        "embedkit.models": {"embedkit.cli", "embedkit.eval", "embedkit.bench"},
        "embedkit.persist": {"embedkit.embeddings"},
    }
    for src, banned in below.items():
        assert not edges.get(src, set()) & banned, (src, edges.get(src, set()) & banned)


def test_no_private_name_is_imported_across_modules():
    found = []
    for module, path in MODULES.items():
        rel = path.relative_to(ROOT.parent).as_posix()
        if rel.startswith(PENDING_PRIVATE):
            continue
        for line, target, name in _imports(path):
            last = name if name is not None else target.rsplit(".", 1)[-1]
            if target != module and last.startswith("_") and not last.startswith("__") \
                    and last != "_io":
                found.append(f"{rel}:{line} imports {target}.{last}")
    assert found == []


def test_import_embedkit_loads_no_pandas_or_scipy_sparse():
    """``import embedkit`` stays light (issue 20: ~40 MB of peak RSS at import): pandas,
    scipy.sparse and scikit-learn load when a function that needs them runs, not before."""
    import subprocess
    import sys

    code = ("import sys, embedkit, embedkit.eval; "
            "print(sorted(m for m in ('pandas', 'scipy.sparse', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    # and the lazily exported names still resolve
    from embedkit import eval as ev
    assert callable(ev.evaluate_word_pairs) and callable(ev.node_classification)
    assert "link_prediction" in dir(ev)
