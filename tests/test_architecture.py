"""The shape of the code: no domain imports another domain's routes, no import cycles, and
analysis/ stays free of Flask. Imports are read from the source (module level and inside
functions alike; only ``if TYPE_CHECKING:`` blocks are left out)."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("strategy", "analysis")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imported_modules(path: Path, known: set[str]) -> list[tuple[str, bool]]:
    """(module, inside_a_function) for every import of a project module in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if is_type_checking_block(node):
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            in_function = True
        if isinstance(node, ast.Import):
            found.extend((alias.name, in_function) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.append((candidate if candidate in known else node.module, in_function))
        for child in ast.iter_child_nodes(node):
            visit(child, in_function)

    visit(tree, False)
    return [(name, inner) for name, inner in found if name.split(".")[0] in PACKAGES]


def project_graph() -> dict[str, list[tuple[str, bool]]]:
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    known = {module_name(p) for p in files}
    return {module_name(p): imported_modules(p, known) for p in files}


def domain_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "strategy" and len(parts) > 2 else None


def test_no_domain_imports_another_domains_routes():
    offences = [f"{module} → {target}" for module, targets in project_graph().items()
                for target, _ in targets
                if target.endswith(".routes") and domain_of(target) != domain_of(module)
                and module != "strategy"]
    assert offences == []


def test_no_import_inside_a_function_between_project_modules():
    # The factory imports the domains inside create_app (no app at import time), and
    # analysis/ is loaded on first use because it costs seconds of start-up: both are by design.
    offences = [f"{module} → {target}" for module, targets in project_graph().items()
                for target, inner in targets if inner and module != "strategy"
                and target.split(".")[0] != "analysis"]
    assert offences == []


def test_no_import_cycles():
    graph = {module: sorted({t for t, _ in targets if t != module})
             for module, targets in project_graph().items()}
    cycles = []
    state: dict[str, int] = {}

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in graph.get(node, []):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target] if target in path
                              else [node, target])
            elif target in graph and not state.get(target):
                walk(target, path + [target])
        state[node] = 2

    for module in sorted(graph):
        if not state.get(module):
            walk(module, [module])
    assert cycles == []


@pytest.mark.parametrize("module", sorted(m for m in project_graph() if m.startswith("analysis")))
def test_analysis_never_imports_flask_or_strategy(module):
    path = ROOT / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = ROOT / module.replace(".", "/") / "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names]
    names += [node.module for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module]
    assert not [n for n in names if n.split(".")[0] in ("flask", "strategy")]
