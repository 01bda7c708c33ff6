"""The layering of the package holds: no import circles, no reaching into another subpackage's private names.

Imports are read statically from the source (module level and inside functions alike);
imports under ``if TYPE_CHECKING:`` are for type hints only, never run, and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

SOURCE = Path(__file__).resolve().parent.parent / "src" / "attribution"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, package: str, modules: set[str]) -> list[tuple[str, str | None]]:
    """(module imported, name imported from it or None) for every runtime import of the library."""
    found: list[tuple[str, str | None]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, None) for alias in node.names if alias.name.startswith("attribution"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module.startswith("attribution"):
                for alias in node.names:
                    submodule = f"{module}.{alias.name}"
                    found.append((submodule, None) if submodule in modules else (module, alias.name))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> tuple[nx.DiGraph, dict[str, list[tuple[str, str | None]]]]:
    paths = {_module_name(p): p for p in SOURCE.rglob("*.py")}
    modules = set(paths)
    graph = nx.DiGraph()
    imports: dict[str, list[tuple[str, str | None]]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        imports[name] = _imports(ast.parse(path.read_text(encoding="utf-8")), package, modules)
        graph.add_node(name)
        for target, _ in imports[name]:
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target != name and not name.startswith(target + "."):  # a package's own __init__ is not a circle
                graph.add_edge(name, target)
    return graph, imports


def test_no_import_circles() -> None:
    graph, _ = _graph()
    circles = [c for c in nx.simple_cycles(graph) if len(c) > 1]
    assert not circles, f"{len(circles)} import circles, e.g. {' -> '.join([*circles[0], circles[0][0]])}"


def _subpackage(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def test_no_private_names_from_another_subpackage() -> None:
    _, imports = _graph()
    offences = []
    for module, found in imports.items():
        for target, name in found:
            if _subpackage(target) == _subpackage(module) or target == "attribution":
                continue
            private_module = any(part.startswith("_") and part != "__init__" for part in target.split(".")[2:])
            private_name = name is not None and name.startswith("_")
            if private_module or private_name:
                offences.append(f"{module} imports {target}{'.' + name if name else ''}")
    assert not offences, "\n".join(offences)
