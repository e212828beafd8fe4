"""Will it run here: the Fits column, the detail pane's memory estimate, "Check memory
needs", the warning before saving parameters that do not fit, and View > Plan for
another computer.

Every Registry call runs on a worker thread: the column's verdicts come from the
database in one query per reload (`fits_for_rows`), and reading a header on the server
(`model_facts` with fetch) happens only when the user asks for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal

from clary_desktop.app import Registry
from clary_desktop.domain.memory_fit import FitReport, FitRow, MachineInfo, chosen_gpu_layers
from clary_desktop.errors import ClaryError
from clary_desktop.gui.actions.base import WindowActions
from clary_desktop.gui.dialogs.machine_dialog import MachineDialog, Plan
from clary_desktop.gui.fit_text import machine_summary
from clary_desktop.gui.hints import error_text

if TYPE_CHECKING:
    from clary_desktop.gui.main_window import MainWindow


def fit_with_parameters(
    registry: Registry, model_id: str, machine: MachineInfo, fetch: bool
) -> tuple[FitReport, dict[str, Any]]:
    """The model's report at its saved parameters (worker thread only)."""
    try:
        parameters = registry.model_parameters(model_id)
    except ClaryError:
        parameters = {}
    report = registry.fit(
        model_id, machine=machine, gpu_layers=chosen_gpu_layers(parameters), fetch=fetch
    )
    return report, parameters


def _merged(fits: dict[str, FitRow], changes: Mapping[str, FitRow | None]) -> dict[str, FitRow]:
    """`fits` with `changes` applied (None: the model has no verdict any more)."""
    if not changes:
        return fits
    result = dict(fits)
    for model_id, row in changes.items():
        if row is None:
            result.pop(model_id, None)
        else:
            result[model_id] = row
    return result


class FitActions(WindowActions):
    fits_changed = Signal()  # the Fits column shows new verdicts
    report_shown = Signal(str)  # model id: the detail pane shows its estimate

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        #: RAM and GPU memory to plan for (bytes); (None, None): this computer.
        self.plan: Plan = (None, None)
        #: The computer the shown verdicts are for (None until first measured).
        self.machine: MachineInfo | None = None
        self.dialog: MachineDialog | None = None
        self._generation = 0
        #: Single verdicts read while a full refresh runs: it may have read before them.
        self._recent: dict[str, FitRow | None] = {}
        self._checking: set[str] = set()
        window.catalog_loaded.connect(self.refresh_fits)
        window.details_shown.connect(self.show_fit)
        window.detail.fit.check_requested.connect(self.check_memory)
        window.filters.plan_requested.connect(self.plan_dialog)

    # ---- the list ------------------------------------------------------------------

    def refresh_fits(self) -> None:
        self.tasks.spawn(self._refresh_fits(), "Working out which models fit")

    async def _refresh_fits(self) -> None:
        registry = self.registry()
        self._generation += 1
        generation = self._generation
        self._recent = {}
        ram, vram = self.plan

        def work() -> tuple[MachineInfo, dict[str, FitRow]]:
            machine = registry.machine_info(ram=ram, vram=vram)
            return machine, registry.fits_for_rows(machine=machine)

        machine, fits = await self.tasks.run(work)
        if generation != self._generation:
            return  # a newer plan or reload is on its way
        self.machine = machine
        self._show_fits(_merged(fits, self._recent))
        self._recent = {}

    def refresh_fit_of(self, model_id: str) -> None:
        """One model's verdict changed (its facts or parameters): read only its own."""
        self.tasks.spawn(self._refresh_fit_of(model_id), "Working out which models fit")

    async def _refresh_fit_of(self, model_id: str) -> None:
        registry = self.registry()
        plan = ram, vram = self.plan
        fits = await self.tasks.run(
            lambda: registry.fits_for_rows(
                [model_id], machine=registry.machine_info(ram=ram, vram=vram)
            )
        )
        if plan != self.plan or self.machine is None:
            return  # judged against another computer; its full refresh is on its way
        self._recent[model_id] = fits.get(model_id)
        self._show_fits(_merged(self.window.catalog_model.fits, {model_id: fits.get(model_id)}))

    def _show_fits(self, fits: dict[str, FitRow]) -> None:
        summary = machine_summary(self.machine)
        model = self.window.catalog_model
        model.set_fits(fits, self.machine)
        self.window.filters.set_fit_machine(summary)
        self.fits_changed.emit()  # the window counts the rows shown again

    # ---- the detail pane -----------------------------------------------------------

    def show_fit(self, model_id: str) -> None:
        self.tasks.spawn(self._show_fit(model_id), "Working out the memory needs")

    async def _show_fit(self, model_id: str) -> None:
        registry = self.registry()
        plan = ram, vram = self.plan
        panel = self.window.detail.fit
        try:
            report, parameters = await self.tasks.run(
                lambda: fit_with_parameters(
                    registry, model_id, registry.machine_info(ram=ram, vram=vram), False
                )
            )
        except ClaryError as error:  # e.g. removed meanwhile: say so where the numbers go
            if panel.model_id == model_id:
                panel.show_problem(error_text(error))
            return
        if panel.model_id != model_id or plan != self.plan:
            return  # the user moved on (or planned for another computer) meanwhile
        panel.show_report(report, parameters)
        form = self.window.detail.parameters
        if form.changed_values():  # edits made while the report was on its way
            panel.update_values(form.values())
        if model_id in self._checking:
            panel.set_busy(True)
        self.report_shown.emit(model_id)

    def check_memory(self, model_id: str) -> None:
        """Read the model's facts from its file's header on the server, then show them."""
        if model_id in self._checking:
            return
        self._checking.add(model_id)
        self.window.detail.fit.set_busy(True)  # at once, not when the task gets its turn
        self.tasks.spawn(self._check_memory(model_id), "Checking the memory needs")

    async def _check_memory(self, model_id: str) -> None:
        panel = self.window.detail.fit
        try:
            registry = self.registry()
            await self.tasks.run(lambda: registry.model_facts(model_id, fetch=True))
        except ClaryError as error:
            text = error_text(error)
            if panel.model_id == model_id:
                panel.show_problem(text)
            self.show_message(f"Could not check the memory needs of {model_id}: {text}")
            return
        finally:
            self._checking.discard(model_id)
            if panel.model_id == model_id:
                panel.set_busy(False)
        self.refresh_fit_of(model_id)
        if panel.model_id == model_id:
            await self._show_fit(model_id)

    # ---- parameters ----------------------------------------------------------------

    def allow_parameters(self, model_id: str, values: Mapping[str, Any]) -> bool:
        """Before saving: ask when the new values make the model too large for the
        computer. False when the user keeps the old values (nothing is saved)."""
        detail = self.window.detail
        if detail.fit.model_id != model_id:
            return True
        question = detail.fit.warning_for({**detail.parameters.values(), **values}, values)
        if question is None or self.window.confirm(question):
            return True
        detail.parameters.show_error(
            "Not saved: at these values the model does not fit the computer's memory."
        )
        self.show_message(f"The parameters of {model_id} were not saved.")
        return False

    def parameters_changed(self, model_id: str) -> None:
        """Saved or reset: the context the list and the pane judge at has changed."""
        self.refresh_fit_of(model_id)
        if self.window.detail.fit.model_id == model_id:
            self.show_fit(model_id)

    # ---- planning for another computer ---------------------------------------------

    def plan_dialog(self) -> None:
        if self.dialog is None:
            self.dialog = MachineDialog(self.window)
            self.dialog.refresh_requested.connect(lambda: self._measure(refresh=True))
            self.dialog.accepted.connect(lambda: self.set_plan(self._dialog_plan()))
        self.dialog.set_plan(self.plan)
        self.dialog.open()
        self._measure(refresh=False)

    def _dialog_plan(self) -> Plan:
        return self.dialog.plan() if self.dialog is not None else self.plan

    def _measure(self, refresh: bool) -> None:
        self.tasks.spawn(self._measured(refresh), "Measuring this computer")

    async def _measured(self, refresh: bool) -> None:
        registry = self.registry()
        machine = await self.tasks.run(lambda: registry.machine_info(refresh=refresh))
        if self.dialog is not None:
            self.dialog.show_machine(machine)
        if refresh:
            self.set_plan(self.plan)  # the verdicts of this computer, measured again

    def set_plan(self, plan: Plan) -> None:
        """Judge against `plan` ((None, None): this computer): the list and the pane."""
        self.plan = plan
        self.refresh_fits()
        shown = self.window.detail.fit.model_id
        if shown is not None:
            self.show_fit(shown)
