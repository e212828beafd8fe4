"""The layering the import-linter contracts cannot see: what modules load, what the fronts
touch on the Registry, and where project imports sit."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import clary_desktop

PACKAGE = Path(clary_desktop.__file__).parent
FRONTS = ("gui", "cli", "api")
#: Registry attributes that are its services or its engine: a front that reaches them
#: goes around the facade (and around its settings, locks and access checks).
SERVICE_ATTRIBUTES = {
    "downloads",
    "_downloads",
    "catalog",
    "api_keys",
    "usage",
    "metrics",
    "db",
    "_job_store",
}


def _loaded_after(statement: str) -> set[str]:
    code = f"{statement}; import sys; print('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(result.stdout.split())


@pytest.mark.parametrize(
    "module",
    ["clary_desktop.licensing", "clary_desktop.domain.access", "clary_desktop.domain.layout"],
)
def test_the_lower_layers_load_no_database_code(module):
    loaded = _loaded_after(f"import {module}")
    assert "sqlalchemy" not in loaded
    assert not {m for m in loaded if m.startswith(("clary_desktop.db", "clary_desktop.registry"))}


def test_the_licensing_package_loads_only_itself_and_what_lies_below():
    loaded = {m for m in _loaded_after("import clary_desktop.licensing") if "clary" in m}
    above = ("app", "gui", "cli", "api", "storage", "downloads", "registry", "db")
    assert not {m for m in loaded if m.split(".")[1:2] and m.split(".")[1] in above}


def _front_files() -> list[Path]:
    return [p for front in FRONTS for p in sorted((PACKAGE / front).rglob("*.py"))]


def _names_registry(node: ast.expr) -> bool:
    """`registry`, `self.registry`, `ctx.registry`, `self.registry()`, `window.registry`..."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return "registry" in node.id
    return isinstance(node, ast.Attribute) and "registry" in node.attr


def _reaches_around(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _names_registry(node.value)
            and node.attr in SERVICE_ATTRIBUTES
        ):
            found.append((node.lineno, f".{node.attr}"))
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and _names_registry(target.value)
                    and target.attr in {"settings", "stored_settings", "overrides"}
                ):
                    found.append((node.lineno, f".{target.attr} ="))
    return found


def test_no_front_reaches_around_the_registry():
    problems = [
        f"{path.relative_to(PACKAGE)}:{line}: registry{what}"
        for path in _front_files()
        for line, what in _reaches_around(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert problems == []


def test_the_front_check_sees_the_reaches_it_forbids():
    tree = ast.parse(
        "def f(ctx, self):\n"
        "    ctx.registry.downloads.start('m')\n"
        "    self.registry().api_keys.list()\n"
        "    registry.settings = None\n"
    )
    assert sorted(what for _, what in _reaches_around(tree)) == [
        ".api_keys",
        ".downloads",
        ".settings =",
    ]


def _function_imports_without_a_reason(path: Path) -> list[int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines))
    bad = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.ImportFrom | ast.Import):
                continue
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level:
                names = ["clary_desktop"]
            if not any(name.startswith("clary_desktop") for name in names):
                continue
            # A comment on the line or in the few lines above it says why it must be here.
            context = lines[max(0, node.lineno - 4) : node.lineno]
            if not any("#" in line for line in context):
                bad.append(node.lineno)
    return bad


def test_project_imports_sit_at_the_top_unless_a_comment_says_why():
    problems = [
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in _function_imports_without_a_reason(path)
    ]
    assert problems == []
