"""Offline model management in the window: import model files (File menu and
drops), export and import bundles, the Storage view (reclaim, move the models folder),
reclaiming partial downloads, and installing from the Hugging Face cache."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog

from clary_desktop.app import Registry
from clary_desktop.domain.storage_values import CacheCandidate
from clary_desktop.errors import ClaryError
from clary_desktop.formatting import format_size
from clary_desktop.gui.actions.base import WindowActions
from clary_desktop.gui.dialogs.export_dialog import ExportDialog
from clary_desktop.gui.dialogs.move_dialog import MoveModelsDialog
from clary_desktop.gui.dialogs.storage_dialog import StorageDialog
from clary_desktop.gui.models.natural_sort import natural_sorted

if TYPE_CHECKING:
    from clary_desktop.gui.main_window import MainWindow


def cache_candidates(registry: Registry) -> dict[str, CacheCandidate]:
    """Catalog models complete in the Hugging Face cache, not installed yet, by id
    (worker thread only: it reads the cache's folders). A cache it cannot read offers
    nothing rather than failing the catalog load."""
    try:
        found = registry.hf_cache_candidates()
    except (ClaryError, OSError):
        return {}
    return {c.model_id: c for c in found if not c.installed}


class StorageActions(WindowActions):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.storage_dialog: StorageDialog | None = None
        self.cache_models: dict[str, CacheCandidate] = {}
        self._operation = ""
        window.progress.changed.connect(self.on_progress)

    # ---- progress of a long operation in the status bar ----------------------------

    def start_operation(self, text: str) -> None:
        self._operation = text
        self.window.status.set_operation(text, None)

    def on_progress(self, stage: str, fraction: float | None, current: str | None) -> None:
        status = self.window.status
        if status.operation.isHidden():
            return  # a late update after the operation ended
        name = Path(str(current)).name if current else ""
        text = f"{stage.capitalize()} {name}".strip() if stage else self._operation
        status.set_operation(text, fraction)

    # ---- import model files --------------------------------------------------------

    def import_file_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            "Import model file",
            str(Path.home()),
            "Model files (*.gguf *.safetensors *.bin *.onnx *.pt *.pth);;All files (*)",
        )
        if path:
            self.import_files([Path(path)])

    def import_files(self, paths: list[Path]) -> None:
        self.tasks.spawn(self._import_files(paths), "Import model file")

    async def _import_files(self, paths: list[Path]) -> None:
        registry = self.registry()
        window = self.window
        last = None
        said: list[str] = []
        try:
            for path in paths:
                self.start_operation(f"Importing {path.name}")
                last = await self.tasks.run(
                    partial(registry.import_file, path, progress=window.progress)
                )
                how = "matches the catalog's" if last.matched_catalog else "is a new local model,"
                name = window.catalog_model.name_of(last.model_id)
                facts = ""
                if last.gguf is not None:
                    facts = f" ({last.gguf.architecture or '?'}, {last.gguf.quantization or '?'})"
                said.append(f"Imported {path.name}: it {how} {name} {last.version}{facts}.")
        finally:
            window.status.clear_operation()
            if last is not None:
                await window.load_catalog()
                window.select_model(last.model_id)
        self.show_message(" ".join(said))
        await window.refresh_disk()

    # ---- bundles --------------------------------------------------------------------

    def export_dialog(self) -> None:
        installed = [
            (r.id, r.name, r.installed_version or "")
            for r in self.window.catalog_model.installed_rows()
        ]
        if not installed:
            self.show_message("No model is installed, so there is nothing to export.")
            return
        dialog = ExportDialog(installed, self.window.selected_model_id(), self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.export_models(dialog.chosen_ids(), Path(dialog.target.text().strip()))
        )
        dialog.open()

    def export_models(self, model_ids: list[str], target: Path) -> None:
        self.tasks.spawn(self._export(model_ids, target), "Export models")

    async def _export(self, model_ids: list[str], target: Path) -> None:
        registry = self.registry()
        self.start_operation("Exporting")
        try:
            result = await self.tasks.run(
                lambda: registry.export_models(model_ids, target, progress=self.window.progress)
            )
        finally:
            self.window.status.clear_operation()
        self.show_message(
            f"Exported {len(result.models)} model(s), "
            f"{format_size(result.size_bytes)}, to {result.path}."
        )

    def import_bundle_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            "Import bundle (a .tar, or the manifest of a bundle folder)",
            str(Path.home()),
            "Bundles (*.tar *.json);;All files (*)",
        )
        if path:
            chosen = Path(path)
            self.import_bundle(chosen.parent if chosen.suffix == ".json" else chosen)

    def import_bundle(self, source: Path) -> None:
        self.tasks.spawn(self._import_bundle(source), "Import bundle")

    async def _import_bundle(self, source: Path) -> None:
        registry = self.registry()
        self.start_operation("Checking the bundle")
        try:
            result = await self.tasks.run(
                lambda: registry.import_bundle(source, progress=self.window.progress)
            )
        finally:
            self.window.status.clear_operation()
        name_of = self.window.catalog_model.name_of
        names = ", ".join(f"{name_of(m.model_id)} {m.version}" for m in result.models)
        copies = ", ".join(
            f"{m.model_id} (a copy of {m.local_copy_of})" for m in result.models if m.local_copy_of
        )
        note = (
            (
                f" Kept apart as local models, as neither the catalog nor the Hub could "
                f"confirm their files: {copies}."
            )
            if copies
            else ""
        )
        self.show_message(
            f"Imported {len(result.models)} model(s) from the bundle, every file "
            f"verified: {names}.{note}"
        )
        await self.window.after_change()

    # ---- the Hugging Face cache ---------------------------------------------------------

    def set_cache_models(self, candidates: dict[str, CacheCandidate]) -> None:
        self.cache_models = candidates
        self.window.detail.set_cached_models(
            frozenset(model_id for model_id, c in candidates.items() if not c.locked)
        )

    def hf_cache_dialog(self) -> None:
        """File > Install from the Hugging Face cache: the cache is read again first."""
        self.tasks.spawn(self._hf_cache_dialog(), "Reading the Hugging Face cache")

    async def _hf_cache_dialog(self) -> None:
        registry = self.registry()
        candidates = await self.tasks.run(cache_candidates, registry)
        self.set_cache_models(candidates)
        usable = natural_sorted([m for m, c in candidates.items() if not c.locked])
        if not usable:
            locked = len(candidates) - len(usable)
            extra = f" ({locked} found there need a higher license tier.)" if locked else ""
            self.show_message(
                "The Hugging Face cache holds no complete copy of a catalog "
                f"model that is not installed yet.{extra}"
            )
            return
        dialog = QInputDialog(self.window)
        dialog.setObjectName("hfCacheDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowTitle("Install from the Hugging Face cache")
        dialog.setLabelText(
            "These catalog models are complete in your Hugging Face cache.\n"
            "Linking one installs it without a download (every file is "
            "checked first):"
        )
        dialog.setComboBoxItems([f"{m} {candidates[m].version}" for m in usable])
        dialog.setOkButtonText("Install")
        dialog.textValueSelected.connect(lambda text: self.link_hf_cache(text.split(" ")[0]))
        dialog.open()

    def link_hf_cache(self, model_id: str) -> None:
        self.tasks.spawn(self._link_hf_cache(model_id), "Install from the Hugging Face cache")

    async def _link_hf_cache(self, model_id: str) -> None:
        registry = self.registry()
        name = self.window.catalog_model.name_of(model_id)
        self.start_operation(f"Linking {name}")
        try:
            result = await self.tasks.run(
                lambda: registry.link_hf_cache(model_id, progress=self.window.progress)
            )
        finally:
            self.window.status.clear_operation()
        how = "linked to" if result.mode == "symlink" else f"{result.mode} from"
        self.show_message(
            f"Installed {name} {result.version} from the Hugging Face "
            f"cache without a download: {len(result.files)} file(s), "
            f"{format_size(result.size_bytes)}, {how} the cache, every file "
            "checked."
        )
        await self.window.after_change()

    # ---- reclaim ------------------------------------------------------------------------

    def reclaim_space(self) -> None:
        """Tools > Reclaim space from partial downloads."""
        self.tasks.spawn(self._reclaim(), "Reclaim space")

    async def _reclaim(self) -> None:
        registry = self.registry()
        deleted = await self.tasks.run(registry.reclaim_space)
        freed = sum(p.size_bytes for p in deleted)
        self.show_message(
            f"Deleted {len(deleted)} leftover partial download(s), {format_size(freed)} reclaimed."
        )
        await self.window.refresh_disk()

    # ---- View > Storage -------------------------------------------------------------

    def storage_view(self) -> None:
        if self.storage_dialog is None:
            dialog = StorageDialog(self.window)
            dialog.refresh_requested.connect(self._refresh_storage)
            dialog.reclaim_requested.connect(self._reclaim_storage)
            dialog.move_requested.connect(self.move_models_dialog)
            self.storage_dialog = dialog
        self.storage_dialog.show()
        self.storage_dialog.raise_()
        self._refresh_storage()

    def _refresh_storage(self) -> None:
        self.tasks.spawn(self._load_storage(), "Reading disk use")

    async def _load_storage(self) -> None:
        report = await self.tasks.run(self.registry().storage_report)
        if self.storage_dialog is not None:
            self.storage_dialog.set_report(report, self.window.catalog_model.name_of)

    def _reclaim_storage(self) -> None:
        """The Storage view's Reclaim: stray partials and orphans, listed, after asking."""
        dialog = self.storage_dialog
        report = dialog.report if dialog is not None else None
        if report is None or not report.reclaimable:
            return
        files = list(report.reclaimable)
        listing = "\n".join(files[:10]) + (
            f"\n… and {len(files) - 10} more" if len(files) > 10 else ""
        )
        if self.window.confirm(
            f"Delete {len(files)} file(s), {format_size(report.reclaimable_bytes)}?\n\n{listing}"
        ):
            self.tasks.spawn(self._reclaim_files(files), "Reclaim space")

    async def _reclaim_files(self, files: list[str]) -> None:
        registry = self.registry()
        result = await self.tasks.run(lambda: registry.reclaim_storage(only=files))
        self.show_message(
            f"Deleted {len(result.deleted)} file(s), {format_size(result.size_bytes)} reclaimed."
        )
        await self._load_storage()
        await self.window.refresh_disk()

    # ---- move the models folder -------------------------------------------------------

    def move_models_dialog(self) -> None:
        registry = self.registry()
        dialog = MoveModelsDialog(registry.models_dir, self.storage_dialog or self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.move_models(*dialog.chosen()))
        dialog.open()

    def move_models(self, new_dir: Path, keep_old: bool = False) -> None:
        self.tasks.spawn(self._move_models(new_dir, keep_old), "Move models folder")

    async def _move_models(self, new_dir: Path, keep_old: bool) -> None:
        registry = self.registry()
        window = self.window
        self.start_operation("Moving models")
        try:
            result = await self.tasks.run(
                lambda: registry.move_models_dir(
                    new_dir, progress=window.progress, keep_old=keep_old
                )
            )
        finally:
            window.status.clear_operation()
        note = f" {result.note}" if result.note else ""
        kept = (
            f" The old copy stays in {result.old_dir}; delete it when you no longer need it."
            if keep_old and not result.old_removed
            else ""
        )
        self.show_message(
            f"Moved {result.files} file(s), {format_size(result.size_bytes)}, to "
            f"{result.new_dir}.{note}{kept}"
        )
        await window.after_change()
        if self.storage_dialog is not None and self.storage_dialog.isVisible():
            await self._load_storage()
