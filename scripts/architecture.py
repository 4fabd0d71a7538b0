"""Facts about motionlab's structure, read from the source with ``ast`` (nothing of motionlab is
imported, so a broken import cannot hide a cycle):

- the import graph between the top-level parts of ``src/motionlab`` (subpackages and top-level
  modules), counting every import: module level, inside functions, ``TYPE_CHECKING`` blocks,
  relative imports and ``importlib.import_module("motionlab....")`` with a literal name;
- the dependency order those imports allow (lower layers never import higher ones);
- for each name of `motionlab.runs.layout`, the modules that use it, marked where they write it.

``python scripts/architecture.py`` prints both tables as the Markdown of ``docs/architecture.md``;
``tests/test_architecture.py`` asserts the graph has no cycle.
"""

from __future__ import annotations

import ast
import functools
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE_DIR = REPO / "src" / "motionlab"
LAYOUT_MODULE = "motionlab.runs.layout"
# Calls that write the file whose path is (part of) an argument.
WRITE_CALLS = {
    "atomic_output",
    "write_json_atomic",
    "write_text_atomic",
    "save",
    "savefig",
    "run_log",
    "RunSummary",
    "StatusFile",
}
# The layout's path helpers, by the names they join.
LAYOUT_HELPERS = {
    "checkpoint_path": ("CHECKPOINTS_DIR",),
    "overrides_path": ("HYDRA_DIR", "OVERRIDES"),
    "fold_dir": ("FOLD_PREFIX",),
    "trial_dir": ("TRIAL_PREFIX",),
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing part: "training", "files", ...
    target: str  # the imported part
    where: str  # "training/loggers.py:23"


@functools.cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def module_name(path: Path) -> list[str]:
    """``src/motionlab/export/graph.py`` → ``["motionlab", "export", "graph"]`` (a package: its name)."""
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def top_level_parts() -> set[str]:
    """The subpackages and top-level modules of motionlab (what the graph's nodes are)."""
    parts = {p.name for p in PACKAGE_DIR.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    parts |= {p.stem for p in PACKAGE_DIR.glob("*.py") if p.stem != "__init__"}
    return parts


def imported_modules(tree: ast.Module, name: list[str], is_package: bool) -> Iterator[tuple[str, int]]:
    """Every module name ``tree`` imports (with its line), relative imports made absolute."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name if is_package else name[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module, node.lineno
            for alias in node.names:  # from motionlab import errors: a module, not a name
                yield f"{module}.{alias.name}", node.lineno
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, node.lineno


def imports() -> list[Import]:
    """The imports between different top-level parts of motionlab."""
    parts = top_level_parts()
    found = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        name = module_name(path)
        if len(name) < 2:  # motionlab/__init__.py
            continue
        tree = parsed(path)
        for module, line in imported_modules(tree, name, path.name == "__init__.py"):
            target = module.split(".")
            if target[0] != "motionlab" or len(target) < 2 or target[1] not in parts:
                continue
            if target[1] != name[1]:
                found.append(Import(name[1], target[1], f"{path.relative_to(PACKAGE_DIR)}:{line}"))
    return list(dict.fromkeys(found))  # `from motionlab.x import y` names x and x.y: one import


def graph(found: list[Import]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {part: set() for part in top_level_parts()}
    for item in found:
        edges[item.source].add(item.target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one part (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def layers(edges: dict[str, set[str]]) -> list[list[str]]:
    """Parts by dependency depth: layer 0 imports no other part, layer n only parts below n."""
    depth: dict[str, int] = {}

    def level(node: str) -> int:
        if node not in depth:
            depth[node] = 0  # a cycle would recurse forever; `cycles` reports it first
            depth[node] = 1 + max((level(t) for t in edges[node]), default=-1)
        return depth[node]

    for node in edges:
        level(node)
    grouped: dict[int, list[str]] = defaultdict(list)
    for node, n in depth.items():
        grouped[n].append(node)
    return [sorted(grouped[n]) for n in sorted(grouped)]


def layout_names() -> dict[str, str]:
    """The file and folder names of `motionlab.runs.layout`: constant → value."""
    tree = ast.parse((PACKAGE_DIR / "runs" / "layout.py").read_text())
    names = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            target = node.targets[0].id
            if isinstance(node.value, ast.Constant):
                names[target] = node.value.value
            elif isinstance(node.value, ast.JoinedStr):  # TRIAL_GLOB = f"{TRIAL_PREFIX}*"
                names[target] = ast.unparse(node.value)
    return names


def layout_users() -> dict[str, dict[str, bool]]:
    """For each layout constant, the modules that name it (directly or through a layout helper),
    each with whether it names it inside a writing call (`WRITE_CALLS`)."""
    users: dict[str, dict[str, bool]] = defaultdict(dict)
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if path == PACKAGE_DIR / "runs" / "layout.py":
            continue
        tree = parsed(path)
        imported = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == LAYOUT_MODULE
            for alias in node.names
        }
        if not imported:
            continue
        module = ".".join(module_name(path)[1:])
        for node, writing in _names(tree, False):
            if node.id in imported:
                for constant in LAYOUT_HELPERS.get(node.id, (node.id,)):
                    users[constant][module] = users[constant].get(module, False) or writing
    return users


def _names(node: ast.AST, writing: bool) -> Iterator[tuple[ast.Name, bool]]:
    if isinstance(node, ast.Call):
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        writing = writing or called in WRITE_CALLS
    if isinstance(node, ast.Name):
        yield node, writing
    for child in ast.iter_child_nodes(node):
        yield from _names(child, writing)


def markdown() -> str:
    found = imports()
    edges = graph(found)
    lines = ["| layer | part | imports (motionlab parts) |", "|---|---|---|"]
    for depth, parts in enumerate(layers(edges)):
        for part in parts:
            targets = ", ".join(f"`{target}`" for target in sorted(edges[part]))
            lines.append(f"| {depth} | `{part}` | {targets or '—'} |")
    lines += ["", "| name | constant | used by (**writes**) |", "|---|---|---|"]
    users = layout_users()
    for constant, value in layout_names().items():
        modules = sorted(users.get(constant, {}).items(), key=lambda item: (not item[1], item[0]))
        named = ", ".join(f"**{module}**" if writes else module for module, writes in modules)
        lines.append(f"| `{value}` | `{constant}` | {named or '—'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    found_cycles = cycles(graph(imports()))
    if found_cycles:
        sys.exit(f"import cycles: {found_cycles}")
    print(markdown())
