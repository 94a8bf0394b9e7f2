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


# -- the shape of the code (issue 34) ----------------------------------------------------------

MAX_LINES = 60
# Where the whole world (`Deps`) may be named: the composition root and the entry points that
# build their use cases' worlds from it (the API's routes, the jobs, the stream consumer).
COMPOSITION = ("chalicelib.services.deps", "chalicelib.api.", "chalicelib.jobs.")
HANDED = ("Needs", "UnitOfWork")  # what a shared piece with I/O is handed


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _annotations(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    return [ast.unparse(a.annotation) for a in args if a.annotation is not None]


def shape_problems(name: str, source: str) -> list[str]:
    """What module `name` (its `source`) does against the shape: a function over MAX_LINES, a
    use case handed the whole Deps, a shared piece of the use cases with no I/O (a pure rule:
    it belongs in domain/)."""
    tree = ast.parse(source)
    problems = []
    for fn in _functions(tree):
        lines = (fn.end_lineno or fn.lineno) - fn.lineno + 1
        if lines > MAX_LINES:
            problems.append(f"{name}.{fn.name} is {lines} lines (at most {MAX_LINES})")
        if not name.startswith(COMPOSITION) and any(
            "Deps" in annotation.replace("Needs", "") for annotation in _annotations(fn)
        ):
            problems.append(f"{name}.{fn.name} takes the whole Deps: name what it needs")
    if name.startswith("chalicelib.services.shared."):
        for fn in tree.body:  # type: ignore[attr-defined]
            if not isinstance(fn, ast.FunctionDef) or fn.name.startswith("_"):
                continue
            if not any(a.split(".")[-1] in HANDED for a in _annotations(fn)):
                problems.append(f"{name}.{fn.name} does no I/O: a pure rule goes in domain/")
    return problems


def test_chalicelib__short_functions_narrow_worlds_and_pure_rules_in_the_domain():
    problems = [
        problem
        for path in sorted(ROOT.rglob("*.py"))
        for problem in shape_problems(module_name(path), path.read_text())
    ]
    assert problems == [], "\n".join(problems)


def test_the_shape_checker__sees_each_kind_of_problem():
    long_body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    source = f"""
def long_one() -> None:
{long_body}

def settle(deps: Deps, member_id: str) -> None: ...

def narrow(d: Needs, member_id: str) -> None: ...

def hash_of(text: str) -> str: ...

def stage(d: Needs, uow: UnitOfWork) -> None: ...
"""
    shared = "\n".join(shape_problems("chalicelib.services.shared.x", source))
    assert f"long_one is {MAX_LINES + 1} lines" in shared
    assert "settle takes the whole Deps" in shared
    assert "hash_of does no I/O" in shared
    assert "narrow" not in shared and "stage" not in shared
    # the composition root and the entry points may hold the whole world
    assert "Deps" not in "\n".join(shape_problems("chalicelib.jobs.settle", source))
