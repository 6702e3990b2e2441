"""Imports point one way (DESIGN.md section 3): a module never imports from a layer above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "costplan"

# Lower number = lower layer. A module may import only from its own layer or below.
LAYERS = {
    "costplan.errors": 0,
    "costplan.codec": 0,
    "costplan.files": 0,
    "costplan.models": 1,
    "costplan.plans": 1,
    "costplan.currency": 1,
    "costplan.usage": 1,
    "costplan.sharing": 1,
    "costplan.diff": 1,
    "costplan.gates": 1,
    "costplan.config": 2,
    "costplan.demand": 2,
    "costplan.planner": 2,
    "costplan.report": 2,
    "costplan.api": 3,
    "costplan.retry": 3,
    "costplan.sandbox": 3,
    "costplan.normalise": 4,
    "costplan.snapshots": 4,
    "costplan.catalogue": 4,
    "costplan.progress": 4,
    "costplan.provisioner": 4,
    "costplan.journal": 4,
    "costplan.waiter": 4,
    "costplan.live": 4,
    "costplan.commands": 5,
    "costplan.contracts": 5,
    "costplan.cli": 6,
    "costplan.__main__": 7,
}
# The planner and reports see models and pandas only: never the API, config or CLI.
PURE = (
    "costplan.planner",
    "costplan.report",
    "costplan.plans",
    "costplan.demand",
    "costplan.usage",
    "costplan.sharing",
    "costplan.diff",
    "costplan.gates",
)
FORBIDDEN_FOR_PURE = ("costplan.api", "costplan.config", "costplan.cli", "costplan.commands", "costplan.catalogue")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(name: str) -> int | None:
    best = None
    for prefix, layer in LAYERS.items():
        if name == prefix or name.startswith(prefix + "."):
            best = layer
    return best


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.startswith("costplan")}


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "emulator" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_point_down(path: Path) -> None:
    name = module_name(path)
    own = layer_of(name)
    if own is None:
        assert name == "costplan", f"{name} has no layer: add it to LAYERS in tests/test_layers.py"
        return
    for imported in imports_of(path):
        if imported == "costplan" or imported.startswith("costplan.emulator"):
            continue
        theirs = layer_of(imported)
        assert theirs is not None, f"{name} imports {imported}, which has no layer"
        assert theirs <= own, f"{name} (layer {own}) imports {imported} (layer {theirs})"
        if name.startswith(PURE):
            assert not imported.startswith(FORBIDDEN_FOR_PURE), f"{name} must not import {imported}"


def test_emulator_imports_nothing_else_from_costplan() -> None:
    """The emulator cannot share a bug with the client if it shares no code with it."""
    for path in sorted((PACKAGE / "emulator").rglob("*.py")):
        for imported in imports_of(path):
            assert imported.startswith("costplan.emulator"), f"{path.name} imports {imported}"


def test_the_solver_is_imported_in_one_place() -> None:
    users = sorted(module_name(p) for p in PACKAGE.rglob("*.py") if "highspy" in p.read_text(encoding="utf-8"))
    assert users == ["costplan.planner._solve"]
