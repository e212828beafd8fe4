"""Errors a user may see. Their message says what happened and what to do, in words
that hold in every front; a `Hint` names the next step so that each front can add how
to take it there (the command line its command, the window its menu item or button,
the API a machine-readable field)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Action(StrEnum):
    """A step the user can take next. The values are stable: the API returns them."""

    CANCEL_DOWNLOAD = "cancel_download"  # job_id
    LIST_DOWNLOADS = "list_downloads"
    DOWNLOAD_MODEL = "download_model"  # model_id
    REMOVE_MODEL = "remove_model"  # model_id
    VERIFY_MODEL = "verify_model"  # model_id
    LIST_MODELS = "list_models"
    LIST_VERSIONS = "list_versions"  # model_id
    SELECT_FOR_TASK = "select_for_task"  # task
    IMPORT_MODEL = "import_model"  # from a model file or an offline bundle
    LIST_HF_CACHE = "list_hf_cache"
    CHOOSE_MODEL_ID = "choose_model_id"  # source: the file being imported
    CHOOSE_LINK_MODE = "choose_link_mode"  # copy or symbolic link instead of a hard link
    LIST_API_KEYS = "list_api_keys"
    INSTALL_LICENSE = "install_license"
    CHOOSE_LICENSE_FILE = "choose_license_file"
    CHOOSE_DATA_DIR = "choose_data_dir"
    SYNC_FROM_FILE = "sync_from_file"
    SET_CATALOG_ADDRESS = "set_catalog_address"
    ALLOW_UNSIGNED = "allow_unsigned"  # source: the catalog file


#: The parameters each action needs; a front's wording may use them.
_NEEDS: dict[Action, tuple[str, ...]] = {
    Action.CANCEL_DOWNLOAD: ("job_id",),
    Action.DOWNLOAD_MODEL: ("model_id",),
    Action.REMOVE_MODEL: ("model_id",),
    Action.VERIFY_MODEL: ("model_id",),
    Action.LIST_VERSIONS: ("model_id",),
    Action.SELECT_FOR_TASK: ("task",),
    Action.CHOOSE_MODEL_ID: ("source",),
    Action.ALLOW_UNSIGNED: ("source",),
}


@dataclass(frozen=True)
class Hint:
    """The next step of an error, with its parameters; never words for one front."""

    action: Action
    model_id: str | None = None
    job_id: int | None = None
    task: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        missing = [name for name in _NEEDS.get(self.action, ()) if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.action} hint needs {', '.join(missing)}")

    def params(self) -> dict[str, str | int]:
        """The parameters that are set, by name (the API's `hint` adds `action`)."""
        return {k: v for k, v in asdict(self).items() if k != "action" and v is not None}


class ClaryError(Exception):
    """Base of every error the fronts show to the user as one plain line, plus the
    front's own words for `hint` when there is one."""

    hint: Hint | None = None

    def __init__(self, *args: object, hint: Hint | None = None) -> None:
        super().__init__(*args)
        self.hint = hint


class NotFoundError(ClaryError):
    """An id (model, version, job) that the catalog does not hold."""


class AccessDeniedError(ClaryError):
    """The user's tier does not allow the model."""


class InvalidManifestError(ClaryError):
    """A catalog manifest that cannot be imported; names the entry and field."""


class InvalidParameterError(ClaryError):
    """A parameter value the core refuses; `parameter` names the field, so a form can
    point at it."""

    def __init__(self, message: str, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class DatabaseError(ClaryError):
    """The catalog database cannot be opened, read or written."""


class DownloadFailed(ClaryError):
    """A failure retrying cannot fix (401/403/404, gated repo, bad catalog entry,
    checksum mismatch). The message is the sentence the user sees."""

    def __init__(
        self, message: str, expected_sha256: str | None = None, actual_sha256: str | None = None
    ) -> None:
        super().__init__(message)
        self.expected_sha256 = expected_sha256
        self.actual_sha256 = actual_sha256
