"""Model usage, parameters and performance: "Use for", the parameters form,
the periodic performance refresh, and View > Model usage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer

from clary_desktop.app import Registry
from clary_desktop.domain.model_views import ModelInfo
from clary_desktop.domain.pipeline_values import ModelPerformance, UsageInfo
from clary_desktop.errors import ClaryError, InvalidParameterError
from clary_desktop.gui.actions.base import WindowActions
from clary_desktop.gui.dialogs.usage_dialog import UsageDialog
from clary_desktop.gui.hints import error_text
from clary_desktop.gui.models.usage_model import with_unset_tasks

if TYPE_CHECKING:
    from clary_desktop.gui.main_window import MainWindow

PERFORMANCE_REFRESH_MS = 5000  # the shown model's performance, while the pane is visible


@dataclass(frozen=True)
class UsageExtras:
    """What the detail pane's Usage and Performance tabs show for one model."""

    default_for: list[str]
    current: str | None
    parameters: dict[str, Any] | None  # JSON values, as the catalog and the user set them
    performance: ModelPerformance | None
    limits: dict[str, tuple[float, float]] | None = None  # what each parameter may take


def usage_extras(registry: Registry, info: ModelInfo) -> UsageExtras:
    """What the detail pane's Usage and Performance tabs show (worker thread only)."""
    default_for: list[str] = []
    current: str | None = None
    for usage in registry.usages():
        if isinstance(usage, tuple):
            continue
        if usage.model_id == info.id:
            default_for.append(usage.task)
        elif usage.task == info.type:
            current = usage.name
    try:
        parameters: dict[str, Any] | None = registry.model_parameters(info.id)
        limits: dict[str, tuple[float, float]] | None = registry.parameter_limits(info.id)
    except ClaryError:
        parameters = limits = None
    try:
        performance: ModelPerformance | None = registry.performance(info.id)
    except ClaryError:
        performance = None
    return UsageExtras(default_for, current, parameters, performance, limits)


class UsageActions(WindowActions):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.usage_dialog: UsageDialog | None = None
        self._perf_busy = False
        self.perf_timer = QTimer(self)
        self.perf_timer.setObjectName("performanceTimer")
        self.perf_timer.setInterval(PERFORMANCE_REFRESH_MS)
        self.perf_timer.timeout.connect(self._refresh_performance)

    def stop(self) -> None:
        self.perf_timer.stop()

    def use_model(self, task: str, model_id: str) -> None:
        self.tasks.spawn(self._use_model(task, model_id), f"Use for {task}")

    async def _use_model(self, task: str, model_id: str) -> None:
        usage = await self.tasks.run(self.registry().use_model, task, model_id)
        self.show_message(f"The {task} task now uses {usage.name} {usage.version}.")
        self.window.refresh_details()
        await self._refresh_usage_view()

    def save_parameters(self, model_id: str, values: dict[str, Any]) -> None:
        if not self.window.fit_actions.allow_parameters(model_id, values):
            return
        self.tasks.spawn(self._save_parameters(model_id, values), "Saving parameters")

    async def _save_parameters(self, model_id: str, values: dict[str, Any]) -> None:
        registry = self.registry()
        detail = self.window.detail
        name = self.window.catalog_model.name_of(model_id)
        try:
            effective = await self.tasks.run(registry.set_model_parameters, model_id, values)
        except ClaryError as error:  # the core's own words, next to the form
            field = error.parameter if isinstance(error, InvalidParameterError) else None
            if detail.model_id == model_id:
                detail.parameters.show_error(error_text(error), field)
            self.show_message(f"Parameters not saved: {error_text(error)}")
            return
        if detail.model_id == model_id:
            detail.parameters.show_parameters(model_id, effective, keep_edits=False)
            detail.parameters.show_note("Saved.")
        self.show_message(f"Saved the parameters of {name}.")
        self.window.fit_actions.parameters_changed(model_id)

    def reset_parameters(self, model_id: str) -> None:
        self.tasks.spawn(self._reset_parameters(model_id), "Resetting parameters")

    async def _reset_parameters(self, model_id: str) -> None:
        registry = self.registry()
        effective = await self.tasks.run(registry.reset_model_parameters, model_id)
        detail = self.window.detail
        if detail.model_id == model_id:
            detail.parameters.show_parameters(model_id, effective, keep_edits=False)
            detail.parameters.show_note("Back to the catalog's values.")
        self.window.fit_actions.parameters_changed(model_id)

    def _refresh_performance(self) -> None:
        """Timer: re-read the shown model's figures (runs reported through the API)."""
        detail = self.window.detail
        model_id = detail.model_id
        if (
            model_id is None
            or self._perf_busy
            or self.window.registry is None
            or not detail.isVisible()
        ):
            return
        self._perf_busy = True
        self.tasks.spawn(self._load_performance(model_id), "Reading performance figures")

    async def _load_performance(self, model_id: str) -> None:
        try:
            performance = await self.tasks.run(self.registry().performance, model_id)
        finally:
            self._perf_busy = False
        self.window.detail.show_performance(performance)

    def usage_view(self) -> None:
        if self.usage_dialog is None:
            self.usage_dialog = UsageDialog(self.window)
            self.usage_dialog.refresh_requested.connect(
                lambda: self.tasks.spawn(self._refresh_usage_view(), "Reading model usage")
            )
        self.usage_dialog.show()
        self.usage_dialog.raise_()
        self.tasks.spawn(self._refresh_usage_view(), "Reading model usage")

    async def _refresh_usage_view(self) -> None:
        if self.usage_dialog is None:
            return
        registry = self.registry()

        def load() -> list[UsageInfo | tuple[str, str]]:
            return with_unset_tasks(registry.usages(), registry.model_types())

        usages = await self.tasks.run(load)
        if self.usage_dialog is not None:
            self.usage_dialog.set_usages(usages)
