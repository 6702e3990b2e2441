"""The emulator depends on the standard library, starlette, uvicorn and yaml only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "costplan" / "emulator"
ALLOWED = {"starlette", "uvicorn", "yaml"}


def test_emulator_imports_only_stdlib_starlette_uvicorn_yaml() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top == "costplan":
                    assert name.startswith("costplan.emulator"), f"{path.name} imports {name}"
                    continue
                assert top in sys.stdlib_module_names or top in ALLOWED, f"{path.name} imports {name}"


def test_modules_stay_small_and_free_of_placeholders() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) < 500, path.name
        assert "from __future__ import annotations" in text, path.name
        for marker in ("TODO", "FIXME", "XXX", "NotImplementedError"):
            assert marker not in text, f"{path.name} contains {marker}"
