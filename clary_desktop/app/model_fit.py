"""Will it run here: a model's facts (stored, from the installed files, or from the
headers on the server), the memory estimate and the verdict against this computer.
The Registry's `machine_info`, `model_facts`, `fit` and `fits_for_rows` delegate here."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol

from clary_desktop.app.machine import detect_machine
from clary_desktop.db import Database
from clary_desktop.domain.disk_space import free_bytes_if_known
from clary_desktop.domain.memory_fit import (
    EstimateError,
    FitReport,
    FitRow,
    FitVerdict,
    MachineInfo,
    assess,
    choose_context,
    chosen_gpu_layers,
    default_context,
    estimate_from_figures,
    judge,
    judge_disk,
    memory_parts,
    verdict_rule,
    with_overrides,
)
from clary_desktop.domain.model_facts import FactsSource, ModelFacts
from clary_desktop.domain.model_headers import HeaderError, combine, parser_for, read_file_facts
from clary_desktop.domain.model_views import ModelInfo, VersionInfo
from clary_desktop.downloads.hub_config import HubConfig
from clary_desktop.downloads.store import JobStore
from clary_desktop.errors import Action, ClaryError, Hint, NotFoundError
from clary_desktop.network.config import NetworkConfig
from clary_desktop.registry.facts_store import FactsStore
from clary_desktop.registry.installed import installed_files
from clary_desktop.settings import Settings

HEADER_RETRIES = 3
HEADER_BACKOFF_MAX_SECONDS = 5.0


class FactsUnavailable(ClaryError):
    """The facts are not known and cannot be read now; the message says why."""


class FitHost(Protocol):
    """The parts of the Registry the estimate uses (the Registry is one)."""

    db: Database
    settings: Settings

    @property
    def models_dir(self) -> Path: ...

    def get_model(self, model_id: str) -> ModelInfo: ...

    def versions(self, model_id: str) -> list[VersionInfo]: ...

    def model_parameters(self, model_id: str) -> dict[str, Any]: ...


class ModelFit:
    def __init__(self, host: FitHost) -> None:
        self.host = host
        self.store = FactsStore(host.db)
        self._machine: MachineInfo | None = None
        self._lock = threading.Lock()

    # ---- the computer ----------------------------------------------------------------

    def machine(
        self, refresh: bool = False, ram: int | None = None, vram: int | None = None
    ) -> MachineInfo:
        folder = self.host.models_dir
        with self._lock:
            if self._machine is None or refresh:
                self._machine = detect_machine(folder)
            detected = self._machine
        # Free space changes with every download and the folder may move: read afresh
        # (one statvfs), while RAM and GPUs stay as detected.
        detected = detected.model_copy(
            update={"free_disk": free_bytes_if_known(folder), "models_dir": str(folder)}
        )
        return with_overrides(detected, ram, vram)

    # ---- the model -------------------------------------------------------------------

    def facts(self, model_id: str, version: str | None, fetch: bool = True) -> ModelFacts | None:
        name, stored = self.store.get(model_id, version)
        if stored is not None and stored.source is not FactsSource.MANIFEST:
            return stored
        # The installed files are the truth, also over what the catalog claims.
        local = self._installed_facts(model_id, name)
        if local is not None:
            self.store.save(model_id, name, local)
            return local
        # What a catalog states is enough when it allows an estimate; else read the header.
        if not fetch or (stored is not None and not stored.missing_for_estimate()):
            return stored
        if self.host.settings.offline:
            if stored is not None:
                return stored
            raise FactsUnavailable(
                f"The facts of {model_id} come from its file's header on the server, and "
                "offline mode is on. Turn offline mode off, or install the model."
            )
        # The header reader uses the HTTP libraries: loaded only when a header is fetched.
        from clary_desktop.downloads.header_fetch import fetch_version_facts
        from clary_desktop.downloads.transfer import TransferOptions

        spec = JobStore(self.host.db).version_spec(model_id, name)
        settings = self.host.settings
        # Through the user's proxy and trusted certificates, as every download goes.
        network = NetworkConfig.from_settings(settings)
        hub = HubConfig.from_settings(settings.hub_endpoint, settings.hub_token, network)
        # A few quick retries: someone is waiting for the answer (a download waits longer).
        options = TransferOptions(
            stall_seconds=settings.download_stall_seconds,
            max_retries=HEADER_RETRIES,
            backoff_max_seconds=HEADER_BACKOFF_MAX_SECONDS,
        )
        fetched = fetch_version_facts(spec, self.host.models_dir, hub, options)
        self.store.save(model_id, name, fetched)
        return fetched

    def _installed_facts(self, model_id: str, version: str) -> ModelFacts | None:
        with self.host.db.read() as session:
            install, files = installed_files(session, model_id)
        if install is None or install.version != version:
            return None
        root = Path(install.path)
        parts = []
        for path in files:
            name = path.relative_to(root).as_posix()
            if parser_for(name) is None or not path.is_file():
                continue
            try:
                parts.append(read_file_facts(path, name))
            except (OSError, HeaderError):
                return None
        return combine(parts, FactsSource.FILE) if parts else None

    # ---- the verdict -----------------------------------------------------------------

    def fit(
        self,
        model_id: str,
        *,
        context: int | None,
        machine: MachineInfo | None,
        version: str | None,
        gpu_layers: int | None,
        fetch: bool,
    ) -> FitReport:
        newest = self.host.get_model(model_id).version  # NotFoundError for unknown ids
        machine = machine or self.machine()
        chosen = self._version(model_id, version or newest)
        facts: ModelFacts | None = None
        estimate = None
        try:
            facts = self.facts(model_id, chosen.version, fetch=fetch)
            if facts is None:
                raise FactsUnavailable("its facts are not known yet (not read from its header)")
            parameters = self.host.model_parameters(model_id)
            # Unset: the saved parameters, as the model list (fits_for_rows) judges them.
            if gpu_layers is None:
                gpu_layers = chosen_gpu_layers(parameters)
            estimate, verdict, reason = assess(
                facts, machine, context or default_context(facts, parameters), gpu_layers
            )
        except ClaryError as error:
            verdict, reason = FitVerdict.UNKNOWN, str(error)
        download = 0 if chosen.installed else chosen.size_bytes
        disk, disk_reason = judge_disk(
            download, machine.free_disk, self.host.settings.download_space_margin_bytes
        )
        return FitReport(
            model_id=model_id,
            version=chosen.version,
            verdict=verdict,
            reason=reason,
            estimate=estimate,
            facts=facts,
            machine=machine,
            disk=disk,
            disk_reason=disk_reason,
            download_bytes=download,
        )

    def _version(self, model_id: str, version: str) -> VersionInfo:
        for info in self.host.versions(model_id):
            if info.version == version:
                return info
        raise NotFoundError(
            f"{model_id} has no version {version!r}.",
            hint=Hint(Action.LIST_VERSIONS, model_id=model_id),
        )

    def fits_for_rows(
        self, model_ids: list[str] | None, machine: MachineInfo | None
    ) -> dict[str, FitRow]:
        machine = machine or self.machine()
        decide = verdict_rule(machine)
        result = {}
        for row in self.store.rows(model_ids):
            if row.weight_bytes is None:
                continue
            context = choose_context(row.context_length, row.chosen_context)
            try:
                parts = memory_parts(row.format, row.weight_bytes, row.kv_bytes_per_token, context)
            except EstimateError as error:
                result[row.model_id] = FitRow(FitVerdict.UNKNOWN, None, str(error))
                continue
            need = sum(parts)
            if row.gpu_layers is None or not row.block_count or row.format != "gguf":
                result[row.model_id] = FitRow(decide(need), need)
                continue
            # A saved gpu_layers splits the model as the detail pane shows it (few rows
            # have one, so the full judgement with its words is cheap here).
            estimate = estimate_from_figures(
                row.format, row.weight_bytes, row.kv_bytes_per_token, context
            )
            verdict, reason = judge(estimate, machine, row.gpu_layers, row.block_count)
            result[row.model_id] = FitRow(verdict, need, reason)
        return result
