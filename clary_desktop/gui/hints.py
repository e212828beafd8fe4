"""The window's words for an error's next step: the menu item or button that takes it.

The core's message says what happened and what to do in words for every front; the
error's `Hint` names the step, and this table says where it is in the window. A step
the window has no control for adds nothing.
"""

from __future__ import annotations

from clary_desktop.errors import Action, ClaryError, Hint

#: Where the window keeps the catalog address (the Settings dialog's field).
CATALOG_ADDRESS_FIELD = "Tools > Settings > General > Catalog address"

_WORDS: dict[Action, str] = {
    Action.CANCEL_DOWNLOAD: "Use Cancel in the Downloads panel.",
    Action.LIST_DOWNLOADS: "The Downloads panel (View > Downloads) shows the jobs.",
    Action.DOWNLOAD_MODEL: "Use Download in the model's details.",
    Action.REMOVE_MODEL: "Use Remove in the model's details.",
    Action.VERIFY_MODEL: "Use Verify in the model's details.",
    Action.LIST_MODELS: "View > Reload catalog shows the models there are now.",
    Action.LIST_VERSIONS: "The model's details list its versions.",
    Action.SELECT_FOR_TASK: "Select an installed {task} model and use “Use for {task}” in its "
    "details.",
    Action.IMPORT_MODEL: "Use File > Import model file… or File > Import bundle….",
    Action.LIST_HF_CACHE: "File > Install from the Hugging Face cache… lists what it holds.",
    Action.CHOOSE_MODEL_ID: "The window names a new local model after its file: rename the "
    "file, then import it again.",
    Action.LIST_API_KEYS: "Tools > API keys… lists the names.",
    Action.INSTALL_LICENSE: "Use File > Load license….",
    Action.CHOOSE_LICENSE_FILE: "Or start Clary Desktop with --license FILE.",
    Action.CHOOSE_DATA_DIR: "Start Clary Desktop again with --data-dir DIR (or CLARY_DATA_DIR).",
    Action.SYNC_FROM_FILE: "Tools > Sync catalog… takes a catalog file.",
    Action.SET_CATALOG_ADDRESS: "Give the catalog's address or file in Tools > Sync catalog…, "
    f"or set it once in {CATALOG_ADDRESS_FIELD}.",
    Action.ALLOW_UNSIGNED: "Tick “Accept an unsigned file” in Tools > Sync catalog….",
    # CHOOSE_LINK_MODE: the window never hard-links, so it has nothing to add.
}


def hint_text(hint: Hint | None) -> str | None:
    """Where the window offers the step `hint` names, or None."""
    if hint is None or hint.action not in _WORDS:
        return None
    return _WORDS[hint.action].format(**hint.params())


def with_hint(message: str, hint: Hint | None) -> str:
    words = hint_text(hint)
    return f"{message} {words}" if words else message


def error_text(error: ClaryError) -> str:
    """What the window shows for a core error: its message, then where to act."""
    return with_hint(str(error), error.hint)
