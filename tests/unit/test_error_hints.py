"""Core errors name no front: the message is plain words, the next step is a `Hint`, and
each front words the hint its own way (the CLI its command, the window its menu item)."""

from __future__ import annotations

import argparse
import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import clary_desktop
from clary_desktop.cli import hints as cli_hints
from clary_desktop.cli.main import build_parser
from clary_desktop.errors import Action, ClaryError, Hint, NotFoundError
from clary_desktop.gui import hints as gui_hints

PACKAGE = Path(clary_desktop.__file__).parent
CORE_PACKAGES = (
    "app",
    "registry",
    "downloads",
    "storage",
    "licensing",
    "domain",
    "db",
    "network",
)
# The window's launcher (`python -m clary_desktop`) is a front, not a base module.
FRONT_MODULES = {"__main__.py"}

# Strings that look like a front but are not one, by module and exact text.
ALLOWED = {
    # The program's folder and package name, not the `clary-desktop` command.
    ("__init__.py", "clary-desktop"),
    ("paths.py", "clary-desktop.log"),
    # pip's command to repair a damaged installation holds for every front.
    (
        "resources.py",
        "). Reinstall Clary Desktop (run the installer again, or "
        "`pip install --force-reinstall clary-desktop`).",
    ),
}


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield name
                yield from _subcommands(sub)


FRONT_PATTERNS = [
    re.compile(r"\bclary-(models|license|catalog|desktop)\b"),  # the programs
    re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*"),  # a command-line option
    re.compile(r"\b(File|View|Tools|Help)\s*>"),  # a menu path
    re.compile(r"\bin Settings\b"),  # the window's Settings dialog
    # A `clary-models` subcommand quoted as a command (`remove`, `import-bundle`).
    re.compile("`(" + "|".join(map(re.escape, sorted(set(_subcommands(build_parser()))))) + r")\b"),
]


def front_names(text: str) -> list[str]:
    return [m.group(0) for pattern in FRONT_PATTERNS for m in pattern.finditer(text)]


def core_modules() -> list[Path]:
    base = [p for p in PACKAGE.glob("*.py") if p.name not in FRONT_MODULES]
    return sorted(base + [p for name in CORE_PACKAGES for p in (PACKAGE / name).rglob("*.py")])


def shown_strings(tree: ast.AST) -> Iterator[ast.Constant]:
    """Every str constant except documentation (a string standing alone as a statement:
    docstrings and attribute docstrings). Bytes (signing domains) are not text shown."""
    documentation = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in documentation
        ):
            yield node


def test_the_detector_finds_every_kind_of_front_name() -> None:
    assert front_names("cancel it first with `clary-models cancel 3`.")
    assert front_names("Install it (clary-license issue).")
    assert front_names("Choose another --data-dir.")
    assert front_names("Give one with --id.")
    assert front_names("; use `remove` to delete the model.")
    assert front_names("with `import-bundle`")
    assert front_names("Use File > Load license…")
    assert front_names("Check the catalog address in Settings.")
    neutral = (
        "X is being downloaded (job 3); cancel that download first.",
        "models--org--name",  # the Hugging Face cache's folder names
        "Choose another data folder.",
        "Remove it first, or choose another id.",
    )
    assert [front_names(text) for text in neutral] == [[]] * len(neutral)


def test_core_strings_name_no_front() -> None:
    modules = core_modules()
    assert len(modules) > 50 and PACKAGE / "errors.py" in modules
    found = []
    for path in modules:
        relative = path.relative_to(PACKAGE).as_posix()
        for node in shown_strings(ast.parse(path.read_text(encoding="utf-8"))):
            if (relative, node.value) in ALLOWED:
                continue
            if names := front_names(node.value):
                found.append(f"{relative}:{node.lineno}: {names} in {node.value!r}")
    assert not found, "core strings naming a front (give the error a Hint):\n" + "\n".join(found)


def _every_hint() -> list[Hint]:
    return [
        Hint(action, model_id="tiny-llm", job_id=3, task="llm", source="/tmp/my model.gguf")
        for action in Action
    ]


def test_the_command_line_words_every_hint_as_a_command() -> None:
    for hint in _every_hint():
        words = cli_hints.hint_text(hint)
        assert words and words.endswith("."), hint
        assert "clary-models" in words or "--" in words, (hint, words)
        assert not re.search(r"\b(File|View|Tools) >", words), words
    cancel = Hint(Action.CANCEL_DOWNLOAD, job_id=3)
    assert cli_hints.hint_text(cancel) == "Run `clary-models cancel 3`."
    # A parameter is quoted for the shell it will be pasted into.
    renamed = cli_hints.hint_text(Hint(Action.CHOOSE_MODEL_ID, source="/tmp/my model.gguf"))
    assert renamed == "Run `clary-models import-file '/tmp/my model.gguf' --id ID`."


def test_the_window_words_hints_as_menu_items_and_buttons() -> None:
    for hint in _every_hint():
        words = gui_hints.hint_text(hint)
        if hint.action is Action.CHOOSE_LINK_MODE:
            assert words is None  # the window never hard-links
            continue
        assert words and words.endswith("."), hint
        assert "clary-models" not in words and "`" not in words, words
    error = ClaryError("X is being downloaded (job 3); cancel that download first.")
    error.hint = Hint(Action.CANCEL_DOWNLOAD, job_id=3)
    assert gui_hints.error_text(error) == (
        "X is being downloaded (job 3); cancel that download first. "
        "Use Cancel in the Downloads panel."
    )


def test_a_hint_needs_the_parameters_its_action_names() -> None:
    with pytest.raises(ValueError, match="cancel_download hint needs job_id"):
        Hint(Action.CANCEL_DOWNLOAD)
    assert Hint(Action.LIST_MODELS).params() == {}
    assert Hint(Action.DOWNLOAD_MODEL, model_id="m").params() == {"model_id": "m"}


def test_an_error_without_hint_is_its_message_everywhere() -> None:
    error = NotFoundError("No such thing.")
    assert error.hint is None and error.args == ("No such thing.",)
    assert cli_hints.error_text(error) == gui_hints.error_text(error) == "No such thing."
