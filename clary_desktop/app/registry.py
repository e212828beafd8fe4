"""The Registry: the one object the GUI, the CLI and the API hold.

Every feature lives behind it once; the fronts only parse input and render output.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clary_desktop.app import sources as source_list
from clary_desktop.app.updates import VersionPruner, find_updates, rollback, start_update
from clary_desktop.db import open_database
from clary_desktop.domain.access import Tier, requires_tier_message
from clary_desktop.domain.license_status import LicenseStatus
from clary_desktop.downloads.hub_config import HubConfig
from clary_desktop.downloads.installs import (
    remove_installed,
    verify_installed,
    verify_installed_version,
)
from clary_desktop.downloads.store import JobStore
from clary_desktop.downloads.strays import kept_partial_jobs
from clary_desktop.errors import AccessDeniedError, Action, ClaryError, Hint
from clary_desktop.licensing import LicenseManager
from clary_desktop.network.config import NetworkConfig, check_network_settings, parse_proxy
from clary_desktop.network.secrets import password_source, store_proxy_password
from clary_desktop.policy import load_policy
from clary_desktop.registry.api_keys import ApiKeyStore
from clary_desktop.registry.catalog import ModelCatalog
from clary_desktop.registry.default_catalog import ensure_default_catalog
from clary_desktop.registry.manifest import load_manifest_file
from clary_desktop.registry.metrics import MetricsStore
from clary_desktop.registry.performance import model_performance
from clary_desktop.registry.starters import starter_ids
from clary_desktop.registry.usage import UsageStore
from clary_desktop.settings import (
    RunOverrides,
    Settings,
    load_settings,
    save_settings,
    settings_with,
)

if TYPE_CHECKING:
    # Names for the signatures only: the values of the parts a command does not use (the
    # storage tools, the memory estimate, the API's usage records...) load when used.
    from clary_desktop.app.download_engine import DownloadEngine
    from clary_desktop.app.model_fit import ModelFit
    from clary_desktop.app.updates import UpdateInfo
    from clary_desktop.db import Database
    from clary_desktop.domain.download_values import (
        DownloadEvent,
        JobInfo,
        StrayPartial,
        VerifyResult,
    )
    from clary_desktop.domain.memory_fit import FitReport, FitRow, MachineInfo
    from clary_desktop.domain.model_facts import ModelFacts
    from clary_desktop.domain.model_views import ImportSummary, ModelInfo, ModelRow, VersionInfo
    from clary_desktop.domain.pipeline_values import (
        ApiKeyInfo,
        ModelPerformance,
        RunInfo,
        RunReport,
        RunSummary,
        UsageInfo,
    )
    from clary_desktop.domain.signing_keys import TrustedKeys
    from clary_desktop.domain.source_values import SourceCheck
    from clary_desktop.domain.storage_values import (
        BundleImportResult,
        CacheCandidate,
        ExportResult,
        ImportResult,
        MoveResult,
        ProgressCallback,
        ReclaimResult,
        StorageReport,
    )
    from clary_desktop.paths import AppPaths
    from clary_desktop.policy import Policy
    from clary_desktop.registry.catalog_sync import SyncSummary
    from clary_desktop.registry.manifest import ManifestModel
    from clary_desktop.settings import Source
    from clary_desktop.storage.context import StorageContext

TierSource = Callable[[], Tier]


def _license_source(paths: AppPaths, license_file: str | Path | None) -> TierSource:
    """The default tier source: the signed license file (`license_file`, else
    CLARY_LICENSE_FILE, else the one installed in the config dir)."""
    return LicenseManager.for_paths(paths, license_file)


class Registry:
    def __init__(self, paths: AppPaths, database: Database, tier_source: TierSource) -> None:
        self.paths = paths
        self.db = database
        self.catalog = ModelCatalog(database)
        self.api_keys = ApiKeyStore(database)
        self.usage = UsageStore(database)
        self.metrics = MetricsStore(database)
        self._job_store = JobStore(database)
        self._tier_source = tier_source
        #: What the user chose (settings.json, with the policy's starting values for what
        #: it does not hold), the administrator's policy, the one-run overrides
        #: (CLARY_OFFLINE), and the settings in force: the stored ones with the policy's
        #: locked values and then the overrides on top. Change them with `apply_settings`,
        #: which saves only the user's choice and refuses to change a locked setting.
        self.policy: Policy = load_policy()
        self.stored_settings: Settings = self.policy.fill(load_settings(paths.settings_file))
        self.overrides = RunOverrides.from_environment()
        self.settings: Settings = self._in_force(self.stored_settings)
        self._settings_lock = threading.RLock()
        self._downloads: DownloadEngine | None = None
        #: Keys trusted for signed catalogs; None means the shipped (and dev) keys.
        self.catalog_keys: TrustedKeys | None = None
        self._pruner = VersionPruner(self)

    @classmethod
    def open(
        cls,
        paths: AppPaths,
        tier_source: TierSource | None = None,
        *,
        license_file: str | Path | None = None,
        load_default_catalog: bool = True,
    ) -> Registry:
        """Open the catalog under `paths`. The user's tier comes from `tier_source`, else
        from the signed license file (`license_file`, CLARY_LICENSE_FILE, or the installed
        one)."""
        try:
            paths.ensure()
        except OSError as error:
            raise ClaryError(
                f"Cannot create Clary Desktop's folders ({error.filename}: {error.strerror}). "
                "Choose another data folder.",
                hint=Hint(Action.CHOOSE_DATA_DIR),
            ) from None
        database = open_database(paths.effective_database_url)
        try:
            if load_default_catalog:
                ensure_default_catalog(database)
            return cls(paths, database, tier_source or _license_source(paths, license_file))
        except BaseException:
            database.close()
            raise

    def close(self) -> None:
        if self._downloads is not None:
            self._downloads.shutdown()
        # Prunes started by downloads that completed still use the manager and the database.
        self._pruner.join()
        self._downloads = None
        self.db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ---- who is asking ---------------------------------------------------------------

    @property
    def tier(self) -> Tier:
        return self._tier_source()

    def license_status(self) -> LicenseStatus:
        """The license behind the tier: state, licensee, expiry and a reason to act on."""

        if isinstance(self._tier_source, LicenseManager):
            return self._tier_source.status()
        return LicenseStatus.fixed(self.tier)

    def install_license(self, source: Path) -> LicenseStatus:
        """Verify `source`; only a license that grants a tier replaces the current one."""
        if not isinstance(self._tier_source, LicenseManager):
            raise ClaryError("This program sets the tier itself; it has no license file.")
        return self._tier_source.install(source)

    def apply_settings(self, settings: Settings) -> Settings:
        """Store `settings` as the user's choice and apply them (with the policy's locked
        values and this run's overrides on top) to every part holding settings: running
        and new downloads included. Returns the settings now in force. Raises
        PolicyLockedError, changing nothing, when a locked setting would change; a proxy
        or CA bundle that cannot be used is refused (ClaryError) before anything is saved."""
        with self._settings_lock:
            settings = self.policy.check_change(self.stored_settings, settings)
            if _network_fields(settings) != _network_fields(self.stored_settings):
                check_network_settings(settings)
            save_settings(self.paths.settings_file, settings)
            self.stored_settings = settings
            self.settings = self._in_force(settings)
            if self._downloads is not None:
                self._downloads.apply_settings(self.settings)
            return self.settings

    def change_settings(self, changes: Mapping[str, object]) -> Settings:
        """Change the named settings, values as a user typed them ("3", "true", a URL):
        a locked one is refused before anything else, then all are checked together."""
        with self._settings_lock:
            self.policy.require_unlocked(changes)
            return self.apply_settings(settings_with(self.stored_settings, changes))

    def reset_settings(self, names: list[str]) -> Settings:
        """Put the named settings back to where a new user starts (the policy's starting
        value, else the program's default)."""
        start = self.policy.fill(Settings())
        self.policy.require_unlocked(names)
        return self.change_settings({name: getattr(start, name, None) for name in names})

    def require_api_allowed(self, host: str, port: int) -> None:
        """Raise PolicyLockedError when the policy does not let the API listen there (or
        at all): `serve` runs outside the settings but under the same locks."""
        wanted = {"api_enabled": True, "api_host": host, "api_port": port}
        self.policy.require_unlocked(
            name for name, value in wanted.items() if getattr(self.settings, name) != value
        )

    def _in_force(self, stored: Settings) -> Settings:
        return self.overrides.apply(self.policy.apply(stored))

    def _store_models_dir(self, folder: Path) -> None:
        with self._settings_lock:  # the other settings as they are at this moment
            self.apply_settings(self.stored_settings.model_copy(update={"models_dir": str(folder)}))

    @property
    def models_dir(self) -> Path:
        if self.settings.models_dir:
            return Path(self.settings.models_dir)
        return self.paths.default_models_dir

    # ---- catalog ---------------------------------------------------------------------

    def list_models(
        self,
        *,
        tier: Tier | str | None = None,
        model_type: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        updates_only: bool = False,
    ) -> list[ModelInfo]:
        """Models usable by `tier` (default: the user's); those above the user's tier
        come back marked locked."""
        view_tier = Tier.parse(tier) if tier is not None else self.tier
        return self.catalog.get_models(
            view_tier,
            model_type,
            search=search,
            limit=limit,
            offset=offset,
            user_tier=self.tier,
            updates_only=updates_only,
        )

    def count_models(
        self,
        *,
        tier: Tier | str | None = None,
        model_type: str | None = None,
        search: str | None = None,
    ) -> int:
        view_tier = Tier.parse(tier) if tier is not None else self.tier
        return self.catalog.count_models(view_tier, model_type, search=search)

    def model_types(self) -> list[str]:
        return self.catalog.model_types()

    def get_model(self, model_id: str) -> ModelInfo:
        return self.catalog.get_model(model_id, user_tier=self.tier)

    def versions(self, model_id: str) -> list[VersionInfo]:
        return self.catalog.get_versions(model_id)

    def starter_models(self) -> list[ModelInfo]:
        """One model per task to start with, for the user's tier (registry/starters.py
        has the rule), by task."""
        return [self.get_model(model_id) for model_id in starter_ids(self.db, self.tier).values()]

    def model_card(self, model_id: str) -> str | None:
        """The model's card (Markdown for users), if the catalog gives one."""
        return self.catalog.card(model_id)

    def import_catalog(self, path: Path) -> ImportSummary:
        """Add or update entries from a local manifest: all of them, or none."""
        manifest = load_manifest_file(path)
        return self.catalog.import_manifest(
            manifest, origin="import", keep_user_changes=False, source=str(path)
        )

    def add_model(self, entry: ManifestModel) -> ModelInfo:
        return self.catalog.add_model(entry)

    def update_model(self, model_id: str, **changes: Any) -> ModelInfo:
        return self.catalog.update_model(model_id, **changes)

    def delete_model(self, model_id: str) -> None:
        self.catalog.delete_model(model_id)

    # ---- usage by the document pipeline ------------------------------------------------

    def use_model(self, task: str, model_id: str) -> UsageInfo:
        """Select the installed model the pipeline uses for `task` (llm, layout, ocr...)."""
        return self.usage.select(task, model_id, self.tier)

    def usage_for(self, task: str) -> UsageInfo:
        return self.usage.for_task(task, self.tier)

    def usages(self) -> list[UsageInfo | tuple[str, str]]:
        return self.usage.selections(self.tier)

    def model_parameters(self, model_id: str) -> dict[str, Any]:
        return self.usage.parameters(model_id)

    def set_model_parameters(self, model_id: str, values: dict[str, Any]) -> dict[str, Any]:
        return self.usage.set_parameters(model_id, values)

    def parameter_limits(self, model_id: str) -> dict[str, tuple[float, float]]:
        """(lowest, highest) per settable parameter for this model (its known maximum
        context included), for a form to bound its fields by."""
        return self.usage.parameter_limits(model_id)

    def reset_model_parameters(self, model_id: str) -> dict[str, Any]:
        """Back to the catalog's values; returns them."""
        self.usage.reset_parameters(model_id)
        return self.usage.parameters(model_id)

    def record_run(
        self, model_id: str, report: RunReport, api_key_id: int | None = None
    ) -> RunInfo:
        self.check_access(model_id)
        return self.metrics.record(model_id, report, api_key_id)

    def run_summary(self, model_id: str) -> RunSummary:
        return self.metrics.summary(model_id)

    def performance(self, model_id: str) -> ModelPerformance:
        """Disk use, last download speed, verification time, GGUF facts and reported runs."""
        return model_performance(self.db, self.metrics, model_id)

    def check_access(self, model_id: str) -> ModelInfo:
        """The model, or AccessDeniedError ("requires <tier>") when above the user's tier."""
        model = self.get_model(model_id)
        if model.locked:
            raise AccessDeniedError(requires_tier_message(model_id, model.tier, self.tier))
        return model

    # ---- downloads (clary_desktop.downloads) -----------------------------------------

    @property
    def downloads(self) -> DownloadEngine:
        """The download engine, created on first use (interrupted jobs recovered then).
        Fronts use the methods below; this is the engine itself, for its own tests."""
        engine = self._downloads
        if engine is not None:
            return engine
        # The engine and its HTTP libraries (requests, urllib3) load with the first
        # download: commands that only read the catalog never need them. Imported before
        # the lock, so no other thread waits on it while the libraries load.
        from clary_desktop.downloads.manager import DownloadManager

        with self._settings_lock:
            if self._downloads is None:
                self.use_download_engine(
                    DownloadManager(
                        self.db,
                        models_dir=lambda: self.models_dir,
                        tier=lambda: self.tier,
                        settings=self.settings,
                    )
                )
            assert self._downloads is not None
            return self._downloads

    def use_download_engine(self, engine: DownloadEngine) -> None:
        """Run downloads with `engine` instead of the default one (other transfer options,
        or a stand-in in tests); call it before the first download."""
        with self._settings_lock:
            if self._downloads is engine:
                return  # subscribed already: a second subscription would prune twice
            if self._downloads is not None:
                self._downloads.shutdown()
            self._downloads = engine
            # Once a newer version is installed, older ones beyond the kept few go.
            engine.subscribe(self._pruner.after_download)

    def start_download(self, model_id: str, version: str | None = None, force: bool = False) -> int:
        """Queue a download (or join the unfinished one of the same version); the job id.
        AccessDeniedError above the user's tier, NotFoundError for unknown ids."""
        return self.downloads.start(model_id, version=version, force=force)

    def pause_download(self, job_id: int) -> None:
        self.downloads.pause(job_id)

    def resume_download(self, job_id: int) -> None:
        """Resume a paused job, or run a failed or cancelled one again."""
        self.downloads.resume(job_id)

    def retry_download(self, job_id: int) -> None:
        self.downloads.retry(job_id)

    def cancel_download(self, job_id: int, keep_partial: bool = False) -> None:
        self.downloads.cancel(job_id, keep_partial=keep_partial)

    def download_jobs(self, include_finished: bool = True) -> list[JobInfo]:
        return self.downloads.jobs(include_finished=include_finished)

    def download_job(self, job_id: int) -> JobInfo:
        return self.downloads.job(job_id)

    def wait_for_download(self, job_id: int, timeout: float | None = None) -> JobInfo:
        """Block until the job finishes or pauses (disk full, or paused elsewhere)."""
        return self.downloads.wait(job_id, timeout=timeout)

    def clear_finished_downloads(self) -> int:
        """Forget completed, failed and cancelled jobs; how many were forgotten."""
        return self.downloads.clear_finished()

    def subscribe_downloads(self, callback: Callable[[DownloadEvent], None]) -> Callable[[], None]:
        """Call `callback` on every state change and (throttled) progress of every job,
        on a worker thread: it must not block. Returns the function that unsubscribes."""
        return self.downloads.subscribe(callback)

    def stray_partials(self) -> list[StrayPartial]:
        """Partial files no unfinished download will resume."""
        return self.downloads.stray_partials()

    def kept_partial_jobs(self) -> set[int]:
        """Cancelled or failed jobs whose partial files are still on disk: retrying one
        continues from there (the window says "62% kept")."""
        return kept_partial_jobs(self._job_store, self.models_dir)

    def remove(self, model_id: str, version: str | None = None) -> list[str]:
        """Delete an installed model (one version, or all); returns the versions removed."""
        return remove_installed(
            self._job_store,
            self.models_dir,
            self.downloads.jobs(include_finished=False),
            model_id,
            version,
        )

    def verify(self, model_id: str | None = None) -> list[VerifyResult]:
        """Re-hash installed files; one result per file (ok / corrupt / missing)."""
        return verify_installed(self._job_store, self.models_dir, model_id)

    def verify_version(self, model_id: str, version: str) -> list[VerifyResult]:
        """Re-hash the files of one installed version."""
        return verify_installed_version(self._job_store, self.models_dir, model_id, version)

    # ---- local API keys ----------------------------------------------------------------

    def create_api_key(self, name: str) -> tuple[ApiKeyInfo, str]:
        """A new key for the local API: its record and the secret (shown once)."""
        return self.api_keys.create(name)

    def list_api_keys(self) -> list[ApiKeyInfo]:
        return self.api_keys.list()

    def revoke_api_key(self, name: str) -> ApiKeyInfo:
        return self.api_keys.revoke(name)

    def authenticate_api_key(self, secret: str | None) -> ApiKeyInfo | None:
        """The key a request presents, if it is valid (its last use is recorded)."""
        return self.api_keys.use(secret)

    # ---- catalog sync and updates ------------------------------------------------------

    def sync_catalog(self, source: str | None = None, allow_unsigned: bool = False) -> SyncSummary:
        """Bring in a published catalog (URL or file; default: the configured address)."""
        # The trusted keys load cryptography: only a sync needs them (and the sync itself).
        from clary_desktop.domain.signing_keys import default_trusted_keys
        from clary_desktop.registry.catalog_sync import default_source, sync_catalog

        return sync_catalog(
            self.db,
            source or default_source(self.settings.catalog_url),
            keys=self.catalog_keys or default_trusted_keys(),
            allow_unsigned=allow_unsigned,
            offline=self.offline,
            network=self.network_config(),
        )

    def catalog_address(self) -> str | None:
        """Where a sync with no source reads (the setting, else CLARY_CATALOG_URL); None
        when neither is set."""
        # Loaded when used: most commands never need it.
        from clary_desktop.registry.catalog_sync import default_source

        try:
            return default_source(self.settings.catalog_url)
        except ClaryError:
            return None

    def check_updates(self) -> list[UpdateInfo]:
        """Installed models with a newer version the user's tier allows (no network)."""
        return find_updates(self)

    def update(self, model_id: str) -> int | None:
        """Start updating a model; the job id, or None when the switch happened at once."""
        return start_update(self, model_id, self._pruner)

    def rollback(self, model_id: str) -> str:
        """Switch back to the kept previous version; returns it."""
        return rollback(self, model_id)

    def prune_previous_versions(self, model_id: str) -> list[str]:
        """Remove versions beyond the kept few now, through the one pruner. Updates prune
        by themselves (after the download, or at once when the switch needed none): fronts
        need not call it."""
        return self._pruner.prune(model_id)

    def network_available(self) -> bool:
        """Online and allowed to use it; never touches the network in offline mode.
        Blocks for a few seconds at most: call it off the GUI thread."""
        # Loaded when used: most commands never need it.
        from clary_desktop.storage import network

        return network.probe(self.settings)

    def network_config(self) -> NetworkConfig:
        """The proxy and trust every request uses now (reads the keychain for the proxy
        password when a proxy user is set)."""
        return NetworkConfig.from_settings(self.settings)

    def set_proxy_password(self, password: str | None) -> str:
        """Keep the proxy user's password in the system keychain (None: forget it); says
        where it lives now. Raises ClaryError without a proxy user or a keychain."""
        proxy, user = self.settings.proxy, self.settings.proxy_user
        if not proxy or not user:
            raise ClaryError("Set the proxy and the proxy user first; then store the password.")
        return store_proxy_password(parse_proxy(proxy)[0].display, user, password)

    def proxy_password_source(self) -> str | None:
        """Where the proxy password comes from, in words; None without a proxy user."""
        proxy, user = self.settings.proxy, self.settings.proxy_user
        if not proxy or not user:
            return None
        try:
            return password_source(parse_proxy(proxy)[0].display, user)
        except ValueError:
            return None

    @property
    def offline(self) -> bool:
        """Never touch the network (the setting, or CLARY_OFFLINE=1 for this run)."""
        return self.settings.offline

    def reclaim_space(self) -> list[StrayPartial]:
        """Delete `.part` files no unfinished download will resume; returns what was deleted.
        The stray partials part of `reclaim_storage`, which does the deleting."""
        strays = self.stray_partials()
        deleted = set(self.reclaim_storage(only=[s.path for s in strays]).deleted)
        return [s for s in strays if s.path in deleted]

    # ---- where downloads come from ---------------------------------------------------

    def sources(self) -> list[Source]:
        """The download sources in force, in order: each file comes from the first one
        that has it (the default Hub alone unless a list was set)."""
        return self.settings.sources_in_force()

    def set_sources(self, sources: list[Source]) -> list[Source]:
        """Store `sources` as the list (in this order); ClaryError when it is not valid,
        PolicyLockedError when the administrator's policy locks the list."""
        self.policy.require_unlocked(["sources"])
        with self._settings_lock:
            self.apply_settings(source_list.with_sources(self.stored_settings, sources))
            return self.sources()

    def add_source(self, source: Source, position: int | None = None) -> list[Source]:
        """Add `source` at `position` (1 is first; default: last)."""
        self.policy.require_unlocked(["sources"])  # the same words for every change
        with self._settings_lock:
            stored = self.stored_settings.sources_in_force()
            return self.set_sources(source_list.added(stored, source, position))

    def remove_source(self, name: str) -> list[Source]:
        self.policy.require_unlocked(["sources"])  # the same words for every change
        with self._settings_lock:
            stored = self.stored_settings.sources_in_force()
            return self.set_sources(source_list.removed(stored, name))

    def move_source(self, name: str, position: int) -> list[Source]:
        """Put the source `name` at `position` (1 is first)."""
        self.policy.require_unlocked(["sources"])  # the same words for every change
        with self._settings_lock:
            stored = self.stored_settings.sources_in_force()
            return self.set_sources(source_list.moved(stored, name, position))

    def test_source(self, source: Source | str) -> SourceCheck:
        """Whether a source (or the one of that name) is reachable and answers as its kind
        should. Blocks for up to half a minute: call it off the GUI thread."""
        if isinstance(source, str):
            source = source_list.find(self.sources(), source)
        if self.offline:
            raise ClaryError(
                "Clary Desktop is in offline mode (the offline setting, or CLARY_OFFLINE=1), "
                "so no source is tested. Switch it off to test the sources."
            )
        # The HTTP libraries load only when a source is tested (as for the engine).
        from clary_desktop.downloads.source_check import check_source

        return check_source(source, self.settings)

    # ---- offline model management (clary_desktop.storage) -----------------------------

    # The storage tools load with the first call that uses them: most commands need none.

    def _storage(self) -> StorageContext:
        from clary_desktop.storage.context import StorageContext

        hub = None
        if not self.settings.offline:
            hub = HubConfig.from_settings(
                self.settings.hub_endpoint, self.settings.hub_token, self.network_config()
            )
        return StorageContext(self.db, self.models_dir, self.tier, hub)

    def import_file(
        self,
        path: Path,
        model_id: str | None = None,
        mode: str = "copy",
        model_type: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> ImportResult:
        """Register a model file or folder the user has: a catalog model when its sha256
        match one (tier rules apply), else a new local lite model."""
        # Loaded when used: most commands never need it.
        from clary_desktop.storage import sideload

        return sideload.import_path(self._storage(), path, model_id, mode, model_type, progress)

    def export_models(
        self, model_ids: list[str], target: Path, progress: ProgressCallback | None = None
    ) -> ExportResult:
        """Write installed models to an offline bundle (a folder, or one file if `.tar`)."""
        # Bundles check files against the Hub's sources (requests): loaded when used.
        from clary_desktop.storage import bundles

        return bundles.export_models(self._storage(), model_ids, target, progress)

    def import_bundle(
        self, source: Path, progress: ProgressCallback | None = None
    ) -> BundleImportResult:
        """Verify every file of a bundle, then register its models as installed; or nothing."""
        # Bundles check files against the Hub's sources (requests): loaded when used.
        from clary_desktop.storage import bundles

        return bundles.import_bundle(self._storage(), source, progress)

    def storage_report(self) -> StorageReport:
        # Loaded when used: most commands never need it.
        from clary_desktop.storage import report

        return report.storage_report(self._storage())

    def reclaim_storage(self, only: list[str] | None = None) -> ReclaimResult:
        """Delete stray partial downloads and orphan files (those in `only`, if given)."""
        # Loaded when used: most commands never need it.
        from clary_desktop.storage import report

        return report.reclaim(self._storage(), only)

    def move_models_dir(
        self, new_dir: Path, progress: ProgressCallback | None = None, keep_old: bool = False
    ) -> MoveResult:
        """Copy and verify every file into `new_dir`, then switch the setting to it."""
        self.policy.require_unlocked(["models_dir"])  # before a single file is copied
        from clary_desktop.storage import move

        return move.move_models_dir(
            self.db,
            self._store_models_dir,
            self.models_dir,
            new_dir,
            progress=progress,
            keep_old=keep_old,
        )

    def hf_cache_candidates(self) -> list[CacheCandidate]:
        """Catalog models complete in the local Hugging Face cache (no network)."""
        # Loaded when used: most commands never need it.
        from clary_desktop.storage import hf_cache

        return hf_cache.find_candidates(self._storage())

    def link_hf_cache(
        self, model_id: str, mode: str = "symlink", progress: ProgressCallback | None = None
    ) -> ImportResult:
        # Loaded when used: most commands never need it.
        from clary_desktop.storage import hf_cache

        return hf_cache.link_candidate(self._storage(), model_id, mode, progress=progress)

    def model_rows(self) -> list[ModelRow]:
        """Every catalog entry as a slim row, for the window's list and its in-memory filter.

        Building 100,000 `ModelInfo` values takes seconds; these plain tuples take a fraction
        of one. Access is not applied here: the window greys out the locked ones, and the
        core still refuses them on download.
        """
        return self.catalog.rows()

    # ---- will it run here (memory needs against this computer) ------------------------

    @cached_property
    def _fit(self) -> ModelFit:
        # The estimate (and its machine probes) loads with the first question about it.
        from clary_desktop.app.model_fit import ModelFit

        return ModelFit(self)

    def machine_info(
        self, refresh: bool = False, ram: int | None = None, vram: int | None = None
    ) -> MachineInfo:
        """This computer: total and available RAM, GPU devices with their memory (NVIDIA
        through NVML; Apple Silicon's Metal share of unified memory), free disk on the
        models drive. Detected once per run (`refresh` detects again). `ram` / `vram`
        (bytes) replace what was detected, to plan for another machine; the result is
        then marked `overridden` and is not cached."""
        return self._fit.machine(refresh=refresh, ram=ram, vram=vram)

    def model_facts(
        self, model_id: str, version: str | None = None, fetch: bool = True
    ) -> ModelFacts | None:
        """A version's facts (default: the newest), from the catalog database, else the
        installed files, else (with `fetch`, and online) the file headers on the server,
        read by HTTP Range and cached in the database. None when unknown and `fetch` is
        False. Blocks on the network when fetching: call it off the GUI thread.
        NotFoundError for unknown ids or versions; ClaryError (plain words) when a header
        cannot be read."""
        return self._fit.facts(model_id, version, fetch=fetch)

    def fit(
        self,
        model_id: str,
        context: int | None = None,
        machine: MachineInfo | None = None,
        *,
        version: str | None = None,
        gpu_layers: int | None = None,
        fetch: bool = True,
    ) -> FitReport:
        """Will the model run here: facts, memory estimate at `context` tokens (default:
        the user's context_length parameter capped at the model's own, else its own),
        verdict against `machine` (default: `machine_info()`), and the disk check.
        `gpu_layers` (None: the saved parameter, else as many as fit) judges a split
        between GPU and RAM, as the model list does. Never raises for missing facts: the
        verdict is then unknown with the reason. May fetch headers (see `model_facts`):
        call it off the GUI thread."""
        return self._fit.fit(
            model_id,
            context=context,
            machine=machine,
            version=version,
            gpu_layers=gpu_layers,
            fetch=fetch,
        )

    def fits_for_rows(
        self, model_ids: list[str] | None = None, machine: MachineInfo | None = None
    ) -> dict[str, FitRow]:
        """The verdict of every model (or of `model_ids`) for the model list, at each
        model's own context (or the user's context_length), from the database only: no
        network, no header parsing. Models whose facts are not stored yet are unknown.
        `machine` defaults to `machine_info()`."""
        return self._fit.fits_for_rows(model_ids, machine)


def _network_fields(settings: Settings) -> tuple[str | None, ...]:
    return settings.proxy, settings.proxy_user, settings.no_proxy, settings.ca_bundle
