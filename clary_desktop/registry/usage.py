"""Model usage: which installed model the document pipeline uses per task, and the
parameters it runs with (the catalog's defaults with the user's settings over them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from clary_desktop.db import Database
from clary_desktop.db.tables import ModelMetadata, ModelSetting, UsageSelection
from clary_desktop.db.timestamps import as_utc
from clary_desktop.domain.access import ModelAccessControl, Tier, requires_tier_message
from clary_desktop.domain.pipeline_values import RUNTIME_PARAMETERS, UsageInfo, parameter_label
from clary_desktop.errors import (
    AccessDeniedError,
    Action,
    ClaryError,
    Hint,
    InvalidParameterError,
    NotFoundError,
)
from clary_desktop.registry.catalog import unknown_model
from clary_desktop.registry.installed import gguf_info_of, installed_files


class UsageStore:
    def __init__(self, database: Database) -> None:
        self.db = database

    # ---- selection -------------------------------------------------------------------

    def select(self, task: str, model_id: str, user_tier: Tier) -> UsageInfo:
        """Make `model_id` the model for `task`: it must be installed, of that type and
        allowed by the user's tier."""
        with self.db.write() as session:
            model = session.get(ModelMetadata, model_id)
            if model is None:
                raise unknown_model(model_id)
            if not ModelAccessControl.can_access_model(user_tier, model.tier):
                raise AccessDeniedError(requires_tier_message(model_id, model.tier, user_tier))
            if model.type != task:
                raise ClaryError(
                    f"Model {model_id!r} is a {model.type} model; it cannot be used for the "
                    f"{task} task. Pick a {task} model."
                )
            if installed_files(session, model_id)[0] is None:
                raise ClaryError(
                    f"Model {model_id!r} is not installed. Download it first.",
                    hint=Hint(Action.DOWNLOAD_MODEL, model_id=model_id),
                )
            row = session.get(UsageSelection, task)
            if row is None:
                session.add(
                    UsageSelection(task=task, model_id=model_id, selected_at=datetime.now(UTC))
                )
            else:
                row.model_id = model_id
                row.selected_at = datetime.now(UTC)
        return self.for_task(task, user_tier)

    def for_task(self, task: str, user_tier: Tier) -> UsageInfo:
        """The selected model of `task`, with absolute file paths and effective parameters."""
        with self.db.read() as session:
            selection = session.get(UsageSelection, task)
            if selection is None:
                raise NotFoundError(
                    f"No model is selected for the {task} task. Choose an installed {task} "
                    "model for it first.",
                    hint=Hint(Action.SELECT_FOR_TASK, task=task),
                )
            model = session.get(ModelMetadata, selection.model_id)
            assert model is not None  # the foreign key removes selections of deleted models
            if not ModelAccessControl.can_access_model(user_tier, model.tier):
                raise AccessDeniedError(requires_tier_message(model.id, model.tier, user_tier))
            install, files = installed_files(session, model.id)
            if install is None:
                raise ClaryError(
                    f"Model {model.id!r}, selected for {task}, is no longer installed. "
                    f"Download it again or select another model."
                )
            return UsageInfo(
                task=task,
                model_id=model.id,
                name=model.name,
                version=install.version,
                tier=model.tier,
                path=install.path,
                files=[str(f) for f in files],
                parameters=self._effective(session, model),
                selected_at=as_utc(selection.selected_at),
            )

    def selections(self, user_tier: Tier) -> list[UsageInfo | tuple[str, str]]:
        """Every task's selection; a selection that cannot be used now comes back as
        (task, reason) so the fronts can say why."""
        with self.db.read() as session:
            tasks = list(session.scalars(select(UsageSelection.task).order_by(UsageSelection.task)))
        result: list[UsageInfo | tuple[str, str]] = []
        for task in tasks:
            try:
                result.append(self.for_task(task, user_tier))
            except ClaryError as error:
                result.append((task, str(error)))
        return result

    # ---- parameters ------------------------------------------------------------------

    def parameters(self, model_id: str) -> dict[str, Any]:
        with self.db.read() as session:
            model = session.get(ModelMetadata, model_id)
            if model is None:
                raise unknown_model(model_id)
            return self._effective(session, model)

    def set_parameters(self, model_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """Validate and store parameter values. An installed GGUF file's header, when
        there is one, sets the maximum context length."""
        with self.db.write() as session:
            model = session.get(ModelMetadata, model_id)
            if model is None:
                raise unknown_model(model_id)
            declared = dict(model.parameters or {})
            limits = _known_maxima(session, model)
            setting = session.get(ModelSetting, model_id)
            current = dict(setting.parameters) if setting else {}
            merged = {**declared, **current, **values}
            for name, value in values.items():
                _validate(model.name, name, value, declared, merged, limits)
            stored = {**current, **values}
            if setting is None:
                session.add(
                    ModelSetting(model_id=model_id, parameters=stored, updated_at=datetime.now(UTC))
                )
            else:
                setting.parameters = stored
            return merged

    def parameter_limits(self, model_id: str) -> dict[str, tuple[float, float]]:
        """The range each settable parameter may take for this model: the general one,
        narrowed by what the model is known to allow (its maximum context)."""
        with self.db.read() as session:
            model = session.get(ModelMetadata, model_id)
            if model is None:
                raise unknown_model(model_id)
            maxima = _known_maxima(session, model)
        limits = {name: (low, high) for name, (_kind, low, high) in RUNTIME_PARAMETERS.items()}
        for name, maximum in maxima.items():
            low, high = limits[name]
            limits[name] = (low, max(low, min(high, maximum)))
        return limits

    def reset_parameters(self, model_id: str) -> None:
        with self.db.write() as session:
            setting = session.get(ModelSetting, model_id)
            if setting is not None:
                session.delete(setting)

    @staticmethod
    def _effective(session: Any, model: ModelMetadata) -> dict[str, Any]:
        setting = session.get(ModelSetting, model.id)
        return {**(model.parameters or {}), **(setting.parameters if setting else {})}


def _known_maxima(session: Any, model: ModelMetadata) -> dict[str, int]:
    """What the model is known to allow: the context length in an installed GGUF file's
    header, else the one the catalog declares."""
    header = gguf_info_of(installed_files(session, model.id)[1])
    if header and header.context_length:
        return {"context_length": header.context_length}
    declared = (model.parameters or {}).get("context_length")
    if isinstance(declared, int) and not isinstance(declared, bool) and declared > 0:
        return {"context_length": declared}
    return {}


def _validate(
    model_name: str,
    name: str,
    value: Any,
    declared: dict[str, Any],
    merged: dict[str, Any],
    limits: dict[str, int],
) -> None:
    """Refuse a value in words: the parameter's label and the model's display name
    ("Context length of Tiny GGUF is 4096, ..."); the error names the field."""
    prefix = f"{parameter_label(name)} of {model_name}"

    def refuse(message: str) -> InvalidParameterError:
        return InvalidParameterError(f"{prefix} {message}", name)

    rule = RUNTIME_PARAMETERS.get(name)
    if rule is None:
        if name in declared:
            raise refuse(f"is a fact of the model ({declared[name]!r}), not a setting.")
        raise refuse(f"is not known; settable parameters: {', '.join(RUNTIME_PARAMETERS)}.")
    kind, low, high = rule
    if not _is_number(value) or (kind is int and not isinstance(value, int)):
        wanted = "a whole number" if kind is int else "a number"
        raise refuse(f"must be {wanted}, not {value!r}.")
    if name == "context_length":
        maximum = limits.get("context_length")
        if maximum is not None and value > maximum:
            raise refuse(f"is {value}, more than the model's maximum context of {maximum} tokens.")
    if name in ("batch_size", "max_new_tokens"):
        context = merged.get("context_length")
        if isinstance(context, int) and value > context:
            raise refuse(f"is {value}, more than the context length {context}.")
    if not low <= value <= high:
        raise refuse(f"must be between {low} and {high}, not {value}.")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
