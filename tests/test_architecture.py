"""The package structure stays layered: no two parts of motionlab import each other (directly or
through others), no lazy-import workarounds, one atomic writer, and the run layout's checkpoint names
agree with the callbacks config that makes Lightning write them. The facts come from the source
(`scripts/architecture.py`, which also prints docs/architecture.md's tables)."""

from __future__ import annotations

import ast
import importlib.util
import sys

import yaml

from motionlab.runs.layout import BEST_CHECKPOINT, CHECKPOINTS_DIR, LAST_CHECKPOINT
from tests.helpers import CONFIG_DIR, REPO

_spec = importlib.util.spec_from_file_location("architecture", REPO / "scripts" / "architecture.py")
architecture = sys.modules["architecture"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(architecture)

# The one atomic writer's names and the tools it is built from (and os.replace / os.rename, which
# `move_into_place` wraps): nowhere but motionlab/files.py.
WRITER_NAMES = {"atomic_output", "write_json_atomic", "write_text_atomic"}
WRITER_TOOLS = {"fsync", "mkstemp", "NamedTemporaryFile"}


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(architecture.PACKAGE_DIR)), architecture.parsed(path))
        for path in sorted(architecture.PACKAGE_DIR.rglob("*.py"))
    ]


def test_the_import_graph_is_read_from_every_kind_of_import():
    found = architecture.imports()
    where = {(item.source, item.target) for item in found}
    assert ("training", "runs") in where and ("export", "runs") in where  # module-level imports
    assert len(where) >= 40
    # a function-local import and a relative one are found like any other
    source = "def f():\n    from motionlab.errors import ConfigError\nfrom ..files import read_json\n"
    tree = ast.parse(source)
    modules = {module for module, _ in architecture.imported_modules(tree, ["motionlab", "runs", "x"], False)}
    assert {"motionlab.errors", "motionlab.files"} <= modules


def test_no_two_parts_of_motionlab_import_each_other():
    found = architecture.imports()
    cycles = architecture.cycles(architecture.graph(found))
    evidence = [
        f"{item.source} -> {item.target} ({item.where})"
        for cycle in cycles
        for item in found
        if item.source in cycle and item.target in cycle
    ]
    assert cycles == [], "import cycles between parts of motionlab:\n" + "\n".join(evidence)


def test_cycles_are_found_through_several_parts():
    assert architecture.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert architecture.cycles({"a": {"b"}, "b": set()}) == []


def test_no_lazy_import_workarounds():
    """A module ``__getattr__`` is how packages that import each other were held apart."""
    lazy = [
        name
        for name, tree in _modules()
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
    ]
    assert lazy == []


def test_one_atomic_writer():
    elsewhere = []
    for name, tree in _modules():
        if name == "files.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in WRITER_NAMES:
                elsewhere.append(f"{name}: defines {node.name}")
            if isinstance(node, ast.Attribute) and node.attr in WRITER_TOOLS:
                elsewhere.append(f"{name}: uses {node.attr}")
            if isinstance(node, ast.Attribute) and ast.unparse(node) in ("os.replace", "os.rename"):
                elsewhere.append(f"{name}: uses {ast.unparse(node)}")
    assert elsewhere == []


def test_checkpoint_names_agree_with_the_callbacks_config():
    callbacks = yaml.safe_load((CONFIG_DIR / "callbacks" / "default.yaml").read_text())
    for key, name in (("model_checkpoint", BEST_CHECKPOINT), ("last_checkpoint", LAST_CHECKPOINT)):
        assert f"{callbacks[key]['filename']}.ckpt" == name
        assert callbacks[key]["dirpath"] == f"${{paths.output_dir}}/{CHECKPOINTS_DIR}"


def test_the_architecture_page_shows_the_tables_the_code_has():
    """docs/architecture.md's layer and run-layout tables are `scripts/architecture.py`'s output:
    moving code without regenerating them fails here."""
    page = (REPO / "docs" / "architecture.md").read_text()
    for table in architecture.markdown().split("\n\n"):
        assert table in page, "regenerate the tables: .venv/bin/python scripts/architecture.py"
