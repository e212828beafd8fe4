"""The command line's words for an error's next step: the `clary-models` command to run.

The core's message says what happened and what to do in words for every front; the
error's `Hint` names the step, and this table turns it into a command line.
"""

from __future__ import annotations

import shlex

from clary_desktop.errors import Action, ClaryError, Hint

_COMMANDS: dict[Action, str] = {
    Action.CANCEL_DOWNLOAD: "Run `clary-models cancel {job_id}`.",
    Action.LIST_DOWNLOADS: "Run `clary-models downloads` to see the jobs.",
    Action.DOWNLOAD_MODEL: "Run `clary-models download {model_id}`.",
    Action.REMOVE_MODEL: "Run `clary-models remove {model_id}`.",
    Action.VERIFY_MODEL: "Run `clary-models verify {model_id}`.",
    Action.LIST_MODELS: "Run `clary-models list --tier professional` to see every id.",
    Action.LIST_VERSIONS: "Run `clary-models versions {model_id}` to see its versions.",
    Action.SELECT_FOR_TASK: "Run `clary-models use {task} MODEL_ID`.",
    Action.IMPORT_MODEL: "Run `clary-models import-file PATH` or `import-bundle PATH`.",
    Action.LIST_HF_CACHE: "Run `clary-models hf-cache` to see what it holds.",
    Action.CHOOSE_MODEL_ID: "Run `clary-models import-file {source} --id ID`.",
    Action.CHOOSE_LINK_MODE: "Use --as copy or --as symlink.",
    Action.LIST_API_KEYS: "Run `clary-models apikey list` to see the names.",
    Action.INSTALL_LICENSE: "Run `clary-models license install FILE`.",
    Action.CHOOSE_LICENSE_FILE: "Give the place with --license FILE.",
    Action.CHOOSE_DATA_DIR: "Give it with --data-dir DIR (or CLARY_DATA_DIR).",
    Action.SYNC_FROM_FILE: "Run `clary-models catalog sync --from FILE`.",
    Action.SET_CATALOG_ADDRESS: "Give it with `clary-models catalog sync --from URL|FILE`.",
    Action.ALLOW_UNSIGNED: "Run `clary-models catalog sync --from {source} --allow-unsigned`.",
}


def hint_text(hint: Hint | None) -> str | None:
    """The command for `hint`, its parameters quoted for a shell."""
    if hint is None:
        return None
    params = {k: shlex.quote(v) if isinstance(v, str) else v for k, v in hint.params().items()}
    return _COMMANDS[hint.action].format(**params)


def with_hint(message: str, hint: Hint | None) -> str:
    command = hint_text(hint)
    return f"{message} {command}" if command else message


def error_text(error: ClaryError) -> str:
    """The line `clary-models` prints for a core error: its message, then the command."""
    return with_hint(str(error), error.hint)
