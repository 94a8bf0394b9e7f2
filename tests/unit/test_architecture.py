"""The layers read top-down: every import in chalicelib/ is walked (those inside functions too)
and the test fails on an import cycle, an upward import, a use case importing another, or a
cloud library above the store."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "chalicelib"

# Lower numbers are lower layers; a module may import its own layer or any below it.
LAYERS = {
    "domain": 0,
    "settings": 1,
    "contract": 1,
    "observe": 1,  # logs and metrics: Powertools only
    "store": 2,
    "services": 3,
    "events": 3,
    "aggregates": 3,  # what the stream consumer keeps beside events: through the store
    "webhooks": 3,
    "jobs": 4,
    "api": 5,  # the admin route starts the jobs' runner
}
TOOLING = "loyalty_tools"  # the operator's CLI, local server, stack: beside, never inside, Lambda
CLOUD = ("boto3", "botocore", "pynamodb")
NO_CLOUD = {"contract", "settings", "services", "jobs", "api"}
NOTHING_OF_OURS = {"domain"}  # the domain imports only itself (and pure libraries)
FRAMEWORK_FREE = {"domain": ("chalice", "boto3", "botocore", "pynamodb")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names of every module `path` imports."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from . import coupons` names a module, not an attribute
            found |= {f"{target}.{alias.name}" for alias in node.names}
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in ROOT.rglob("*.py")}
    return {
        name: {m for m in imports_of(path) if m in modules and m != name}
        | {m for m in imports_of(path) if not m.startswith("chalicelib")}
        for name, path in modules.items()
    }


def layer(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def packages_in(edges: dict[str, set[str]]) -> set[str]:
    return {m for m in edges if any(other.startswith(m + ".") for other in edges)}


def violations(edges: dict[str, set[str]]) -> list[str]:
    found = []
    ours = {m for m in edges if m.startswith("chalicelib.")}
    packages = packages_in(edges)

    def is_use_case(module: str) -> bool:
        """A module of its own directly in services/ (not the composition root, not a package)."""
        parts = module.split(".")
        return (
            len(parts) == 3
            and parts[1] == "services"
            and parts[2] != "deps"
            and module not in packages
        )

    for source, targets in sorted(edges.items()):
        src = layer(source)
        for target in sorted(targets):
            top = target.split(".")[0]
            if target in ours:
                dst = layer(target)
                if src in NOTHING_OF_OURS and dst != src:
                    found.append(f"{source} imports {target}: the domain imports only itself")
                elif LAYERS.get(dst, 0) > LAYERS.get(src, 0):
                    found.append(f"{source} imports {target}: upward ({src} -> {dst})")
                if is_use_case(source) and is_use_case(target):
                    found.append(f"{source} imports {target}: a use case imports another")
                if source.startswith("chalicelib.services.shared") and is_use_case(target):
                    found.append(f"{source} imports {target}: a shared piece imports a use case")
            elif top == TOOLING:
                found.append(f"{source} imports {target}: the Lambda package never imports tooling")
            elif top in FRAMEWORK_FREE.get(src, ()):
                found.append(f"{source} imports {target}: the domain is pure")
            elif src in NO_CLOUD and top in CLOUD:
                found.append(f"{source} imports {target}: nothing above the store talks to AWS")
    found += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(edges)]
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first walk (one per back edge)."""
    packages = packages_in(edges)
    state: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            # importing a package's name is importing its __init__, not every module in it
            if target not in edges or target in packages:
                continue
            if state.get(target) == 1:
                found.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_chalicelib__has_no_cycles_and_imports_only_down():
    problems = violations(graph())
    assert problems == [], "\n".join(problems)


def test_the_checker__sees_each_kind_of_violation():
    edges = {
        "chalicelib.domain.points": {"chalicelib.store.members", "pynamodb.models"},
        "chalicelib.store.members": {"chalicelib.services.deps"},
        "chalicelib.services.deps": {"chalicelib.store.members"},
        "chalicelib.services.purchases": {"chalicelib.services.refunds", "boto3"},
        "chalicelib.services.refunds": {"chalicelib.services.purchases"},
        "chalicelib.services.shared.issuance": {"chalicelib.services.refunds"},
        "chalicelib.api.routes": {"loyalty_tools.local.http"},
    }
    problems = "\n".join(violations(edges))
    for expected in [
        "domain imports only itself",
        "the domain is pure",
        "upward (store -> services)",
        "a use case imports another",
        "a shared piece imports a use case",
        "nothing above the store talks to AWS",
        "the Lambda package never imports tooling",
        "import cycle: chalicelib.services.purchases -> chalicelib.services.refunds",
        "import cycle: chalicelib.store.members -> chalicelib.services.deps",
    ]:
        assert expected in problems, (expected, problems)


def test_every_module_of_chalicelib__has_a_layer():
    unplaced = {layer(m) for m in graph() if m.startswith("chalicelib.")} - set(LAYERS) - {""}
    assert unplaced == set(), f"give these a layer (or move tooling to {TOOLING}/): {unplaced}"
