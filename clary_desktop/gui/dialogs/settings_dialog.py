"""Settings, in tabs that scroll on a small screen: General (models folder, offline,
update checks, catalog address), Downloads (concurrency, bandwidth limit, parts, resume
on start, older versions to keep), Sources (Hub endpoint and token, the ordered download
sources), Network (proxy, its user and password, hosts without it, trusted
certificates) and the Local API. It shows and returns the stored settings; one-run
overrides (CLARY_OFFLINE) appear as notes only. A setting the administrator's policy
locks shows the policy's value, disabled, "Set by your administrator"; the user's own
value is what the dialog returns for it. A proxy password typed here is not a setting:
the caller keeps it in the system keychain (`proxy_password_entered`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clary_desktop.domain.hosts import is_loopback
from clary_desktop.errors import ClaryError
from clary_desktop.gui.keyboard import accessible, chain_tab_order, name_from_text, tab_stops
from clary_desktop.gui.screen_fit import bounded_size
from clary_desktop.gui.widgets.sources_editor import SourcesEditor
from clary_desktop.network.config import check_network_settings
from clary_desktop.network.secrets import PROXY_PASSWORD_ENV
from clary_desktop.policy import LOCKED_WORDS, Policy
from clary_desktop.settings import Settings, describe_problem

#: The size the dialog asks for; smaller on a small screen (each tab then scrolls).
WANTED_SIZE = QSize(660, 620)


def _text_or_none(edit: QLineEdit) -> str | None:
    return edit.text().strip() or None


class FieldProblem(ValueError):
    """A value the dialog refuses, and the setting it belongs to (to show its field)."""

    def __init__(self, message: str, setting: str | None) -> None:
        super().__init__(message)
        self.setting = setting


def _scrolling(layout: QLayout, name: str) -> QScrollArea:
    """A tab page: `layout` on a page that scrolls when the screen is too small for it."""
    page = QWidget()
    page.setLayout(layout)
    scroll = QScrollArea()
    scroll.setObjectName(name)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields, not the page
    scroll.setWidget(page)
    return scroll


class SettingsDialog(QDialog):
    def __init__(
        self,
        settings: Settings,
        default_models_dir: str,
        parent: QWidget | None = None,
        notes: list[str] | None = None,
        policy: Policy | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        self._base = settings
        self._result: Settings | None = None
        self._policy = policy or Policy()
        settings = self._policy.apply(settings)  # locked ones show the value in force

        self.models_dir = QLineEdit(settings.models_dir or "")
        self.models_dir.setObjectName("modelsDir")
        self.models_dir.setPlaceholderText(default_models_dir)
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.models_dir, 1)
        folder_row.addWidget(self.browse)

        self.concurrent = QSpinBox()
        self.concurrent.setObjectName("concurrentDownloads")
        self.concurrent.setRange(1, 16)
        self.concurrent.setValue(settings.concurrent_downloads)
        self.bandwidth = QSpinBox()
        self.bandwidth.setObjectName("bandwidthLimit")
        self.bandwidth.setRange(0, 10_000_000)
        self.bandwidth.setSuffix(" KiB/s")
        self.bandwidth.setSpecialValueText("no limit")
        self.bandwidth.setToolTip("For all downloads together, running ones included")
        self._bandwidth_shown = -(-(settings.bandwidth_limit_bps or 0) // 1024)  # rounded up
        self.bandwidth.setValue(self._bandwidth_shown)
        self.parts = QSpinBox()
        self.parts.setObjectName("parallelParts")
        self.parts.setRange(1, 32)
        self.parts.setToolTip("Connections for one big file (1: one connection)")
        self.parts.setValue(settings.parallel_parts)

        self.endpoint = QLineEdit(settings.hub_endpoint or "")
        self.endpoint.setObjectName("hubEndpoint")
        self.endpoint.setPlaceholderText("https://huggingface.co")
        self.token = QLineEdit(settings.hub_token or "")
        self.token.setObjectName("hubToken")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("only for gated or private repositories")
        self.proxy = QLineEdit(settings.proxy or "")
        self.proxy.setObjectName("proxy")
        self.proxy.setPlaceholderText("http://proxy.example:3128")
        self.proxy.setToolTip("Wins over HTTPS_PROXY/HTTP_PROXY from the environment")
        self.proxy_user = QLineEdit(settings.proxy_user or "")
        self.proxy_user.setObjectName("proxyUser")
        self.proxy_user.setPlaceholderText("only if the proxy asks for a user name")
        self.proxy_password = QLineEdit()
        self.proxy_password.setObjectName("proxyPassword")
        self.proxy_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.proxy_password.setPlaceholderText("kept in the system keychain, not in settings")
        # Said without asking the keychain, which may block (or prompt) on this thread.
        self.password_note = QLabel(
            "The proxy password is kept in the system keychain, never in the settings file; "
            "type one to store or replace it. Where there is no keychain, set "
            f"{PROXY_PASSWORD_ENV} instead."
        )
        self.password_note.setObjectName("proxyPasswordNote")
        self.password_note.setWordWrap(True)
        self.no_proxy = QLineEdit(settings.no_proxy or "")
        self.no_proxy.setObjectName("noProxy")
        self.no_proxy.setPlaceholderText("hosts reached directly, e.g. mirror.corp,10.0.0.5")
        self.ca_bundle = QLineEdit(settings.ca_bundle or "")
        self.ca_bundle.setObjectName("caBundle")
        self.ca_bundle.setPlaceholderText("the system's trust store only")
        self.ca_bundle.setToolTip(
            "A PEM file of your company's root certificate(s), trusted on top of the system's"
        )
        self.browse_ca = QPushButton("Browse…")
        self.browse_ca.clicked.connect(self._browse_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_bundle, 1)
        ca_row.addWidget(self.browse_ca)
        self.offline = QCheckBox("Work offline (no network access)")
        self.offline.setObjectName("offline")
        self.offline.setChecked(settings.offline)
        self.override_note = QLabel(" ".join(notes or []))
        self.override_note.setObjectName("overrideNote")
        self.override_note.setWordWrap(True)
        self.override_note.setVisible(bool(notes))
        self.update_hours = QDoubleSpinBox()
        self.update_hours.setObjectName("updateCheckHours")
        self.update_hours.setRange(0, 24 * 30)
        self.update_hours.setDecimals(1)
        self.update_hours.setSuffix(" h")
        self.update_hours.setSpecialValueText("never")
        self.update_hours.setValue(settings.update_check_hours)
        self.catalog_url = QLineEdit(settings.catalog_url or "")
        self.catalog_url.setObjectName("catalogUrl")
        self.catalog_url.setPlaceholderText("https://… where your signed catalog is published")
        self.catalog_url.setToolTip(
            "Tools > Sync catalog reads from here (a catalog file's full path works too)"
        )

        self.resume_on_start = QCheckBox("Resume paused downloads when the program starts")
        self.resume_on_start.setObjectName("resumeOnStart")
        self.resume_on_start.setToolTip(
            "When off, the window offers to resume them (Resume all) at start"
        )
        self.resume_on_start.setChecked(settings.resume_on_start)
        self.keep_previous = QSpinBox()
        self.keep_previous.setObjectName("keepPreviousVersions")
        self.keep_previous.setRange(0, 10)
        self.keep_previous.setSpecialValueText("none")
        self.keep_previous.setToolTip(
            "After an update, this many older versions stay on disk so you can roll back"
        )
        self.keep_previous.setValue(settings.keep_previous_versions)

        self.api_enabled = QCheckBox("Run the local API")
        self.api_enabled.setObjectName("apiEnabled")
        self.api_enabled.setToolTip(
            "Let programs on this computer (the document pipeline) ask for models with an API key"
        )
        self.api_enabled.setChecked(settings.api_enabled)
        self.api_host = QLineEdit(settings.api_host)
        self.api_host.setObjectName("apiHost")
        self.api_host.setPlaceholderText("127.0.0.1")
        self.api_port = QSpinBox()
        self.api_port.setObjectName("apiPort")
        self.api_port.setRange(1, 65535)
        self.api_port.setValue(settings.api_port)
        self.api_warning = QLabel(
            "⚠ This address can be reached from other computers. Anyone on the network "
            "with a key can use the API; keep 127.0.0.1 unless you need this."
        )
        self.api_warning.setObjectName("apiWarning")
        self.api_warning.setWordWrap(True)
        self.api_warning.setStyleSheet("color: #8a5a00;")
        self.api_host.textChanged.connect(self._check_host)
        self.api_enabled.toggled.connect(self._check_host)

        self.sources = SourcesEditor(settings.sources_in_force())
        self.sources.setObjectName("sources")  # the policy locks it by this name

        self.policy_note = QLabel(" ".join(self._policy.notes()))
        self.policy_note.setObjectName("policyNote")
        self.policy_note.setWordWrap(True)
        self.policy_note.setVisible(bool(self._policy.notes()))
        if self._policy.problem is not None:
            self.policy_note.setStyleSheet("color: #b3261e; font-weight: bold;")

        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        self.error.hide()

        general = QFormLayout()
        general.addRow("Models folder", folder_row)
        general.addRow("", self.offline)
        general.addRow("", self.override_note)
        general.addRow("Check for updates every", self.update_hours)
        general.addRow("Catalog address", self.catalog_url)

        downloads = QFormLayout()
        downloads.addRow("Concurrent downloads", self.concurrent)
        downloads.addRow("Bandwidth limit", self.bandwidth)
        downloads.addRow("Parallel parts", self.parts)
        downloads.addRow("", self.resume_on_start)
        downloads.addRow("Older versions to keep", self.keep_previous)

        sources = QVBoxLayout()
        hub = QFormLayout()
        hub.addRow("Hub endpoint", self.endpoint)
        hub.addRow("Hub token", self.token)
        sources.addLayout(hub)
        sources.addWidget(self.sources)

        network = QFormLayout()
        network.addRow("Proxy", self.proxy)
        network.addRow("Proxy user", self.proxy_user)
        network.addRow("Proxy password", self.proxy_password)
        network.addRow("", self.password_note)
        network.addRow("No proxy for", self.no_proxy)
        network.addRow("Company certificates", ca_row)

        api = QFormLayout()
        api.addRow("", self.api_enabled)
        api.addRow("Address", self.api_host)
        api.addRow("Port", self.api_port)
        api.addRow(self.api_warning)
        self._check_host()

        self.tabs = QTabWidget()
        self.tabs.setObjectName("settingsTabs")
        for title, page_layout, name in (
            ("General", general, "generalTab"),
            ("Downloads", downloads, "downloadsTab"),
            ("Sources", sources, "sourcesTab"),
            ("Network", network, "networkTab"),
            ("Local API", api, "apiTab"),
        ):
            if isinstance(page_layout, QVBoxLayout):
                page_layout.addStretch(1)
            self.tabs.addTab(_scrolling(page_layout, name), title)
        for widget in (self.tabs, self.tabs.tabBar()):
            accessible(widget, "Settings pages", "General, Downloads, Sources, Network, Local API")

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        # The policy note and the error line stay in view, whichever tab is shown.
        layout = QVBoxLayout(self)
        layout.addWidget(self.policy_note)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.sources.list.setTabKeyNavigation(False)
        accessible(self.sources.list, "Download sources", "Tried in this order")
        accessible(self.browse, "Choose the models folder")
        accessible(self.browse_ca, "Choose the company certificates file")
        name_from_text(self)
        chain_tab_order(tab_stops(self))
        self.resize(bounded_size(self, WANTED_SIZE))
        self._lock_fields()

    def field_widgets(self) -> dict[str, list[QWidget]]:
        """The widgets that edit each setting; a widget named after a setting (its name, or
        that name in camelCase: `ca_bundle` or `caBundle`) counts too, so a new setting's
        widget is locked with no more code."""
        found: dict[str, list[QWidget]] = {
            "models_dir": [self.models_dir, self.browse],
            "concurrent_downloads": [self.concurrent],
            "bandwidth_limit_bps": [self.bandwidth],
            "parallel_parts": [self.parts],
            "hub_endpoint": [self.endpoint],
            "hub_token": [self.token],
            "proxy": [self.proxy],
            "ca_bundle": [self.ca_bundle, self.browse_ca],
            "offline": [self.offline],
            "update_check_hours": [self.update_hours],
            "api_enabled": [self.api_enabled],
            "api_host": [self.api_host],
            "api_port": [self.api_port],
        }
        for name in Settings.model_fields:
            head, *rest = name.split("_")
            for object_name in {name, head + "".join(part.title() for part in rest)}:
                widget = self.findChild(QWidget, object_name)
                if widget is not None and widget not in found.get(name, []):
                    found.setdefault(name, []).append(widget)
        return found

    def _lock_fields(self) -> None:
        for name, widgets in self.field_widgets().items():
            if self._policy.is_locked(name):
                for widget in widgets:
                    widget.setEnabled(False)
                    widget.setToolTip(LOCKED_WORDS)

    def _check_host(self, *_args: object) -> None:
        host = self.api_host.text().strip() or "127.0.0.1"
        self.api_warning.setVisible(not is_loopback(host))
        for name, edit in (("api_host", self.api_host), ("api_port", self.api_port)):
            edit.setEnabled(self.api_enabled.isChecked() and not self._policy.is_locked(name))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Models folder", self.models_dir.text())
        if folder:
            self.models_dir.setText(folder)

    def _browse_ca(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            "Company root certificate (PEM)",
            self.ca_bundle.text(),
            "Certificates (*.pem *.crt *.cer);;All files (*)",
        )
        if path:
            self.ca_bundle.setText(path)

    def proxy_password_entered(self) -> str | None:
        """The proxy password typed in, to keep in the keychain (None: leave it as is)."""
        return self.proxy_password.text() or None

    def chosen(self) -> Settings:
        """The settings as entered; raises FieldProblem (a ValueError) with a plain
        message and the setting at fault."""
        endpoint = _text_or_none(self.endpoint)
        proxy = _text_or_none(self.proxy)
        catalog = _text_or_none(self.catalog_url)
        for label, value, name in (
            ("Hub endpoint", endpoint, "hub_endpoint"),
            ("Proxy", proxy, "proxy"),
        ):
            if (
                value
                and not value.startswith(("http://", "https://"))
                and not self._policy.is_locked(name)
            ):
                raise FieldProblem(f"{label} must start with http:// or https://", name)
        if (
            catalog
            and not catalog.startswith(("http://", "https://"))
            and not Path(catalog).expanduser().is_absolute()
            and not self._policy.is_locked("catalog_url")
        ):
            raise FieldProblem(
                "Catalog address must start with https:// or http://, or be a catalog "
                "file's full path (such as /srv/catalog.json).",
                "catalog_url",
            )
        data = self._base.model_dump()
        data.update(
            models_dir=_text_or_none(self.models_dir),
            concurrent_downloads=self.concurrent.value(),
            bandwidth_limit_bps=self._bandwidth_bps(),
            parallel_parts=self.parts.value(),
            resume_on_start=self.resume_on_start.isChecked(),
            keep_previous_versions=self.keep_previous.value(),
            hub_endpoint=endpoint,
            hub_token=_text_or_none(self.token),
            proxy=proxy,
            proxy_user=_text_or_none(self.proxy_user),
            no_proxy=_text_or_none(self.no_proxy),
            ca_bundle=_text_or_none(self.ca_bundle),
            offline=self.offline.isChecked(),
            update_check_hours=self.update_hours.value(),
            catalog_url=catalog,
            api_enabled=self.api_enabled.isChecked(),
            api_host=self.api_host.text().strip() or "127.0.0.1",
            api_port=self.api_port.value(),
            # An untouched list stays as stored (no list: the default Hub alone).
            sources=(
                [source.model_dump() for source in self.sources.sources()]
                if self.sources.changed
                else self._base.sources
            ),
        )
        # A locked setting keeps the user's own value: the policy's is never saved.
        data.update({k: v for k, v in self._base.model_dump().items() if self._policy.is_locked(k)})
        try:
            chosen = Settings.model_validate(data)
        except ValidationError as error:
            where = error.errors(include_url=False)[0]["loc"]
            raise FieldProblem(describe_problem(error), str(where[0]) if where else None) from None
        if self.proxy_password.text() and not chosen.proxy_user:
            raise FieldProblem(
                "A proxy password needs a proxy user: fill in the user too.", "proxy_user"
            )
        # The proxy first (its address, user), then the certificates: the first check
        # that fails names the field to show.
        for settings, name in (
            (chosen.model_copy(update={"ca_bundle": None}), "proxy"),
            (chosen, "ca_bundle"),
        ):
            try:
                check_network_settings(settings)
            except ClaryError as error:
                raise FieldProblem(str(error), name) from None
        return chosen

    def _bandwidth_bps(self) -> int | None:
        shown = self.bandwidth.value()
        if shown == self._bandwidth_shown:  # untouched: keep the exact stored value
            return self._base.bandwidth_limit_bps
        return shown * 1024 or None

    def accept(self) -> None:
        try:
            self._result = self.chosen()
        except FieldProblem as problem:
            self.error.setText(str(problem))
            self.error.show()
            self.show_field(problem.setting)
            return
        super().accept()

    def show_field(self, setting: str | None) -> None:
        """Switch to the tab that holds `setting`'s field and give that field the focus."""
        widgets = [w for w in self.field_widgets().get(setting or "", []) if w.isEnabled()]
        if not widgets:
            return
        field = widgets[0]
        for index in range(self.tabs.count()):
            page = self.tabs.widget(index)
            if page is not None and page.isAncestorOf(field):
                self.tabs.setCurrentIndex(index)
                if isinstance(page, QScrollArea):
                    page.ensureWidgetVisible(field)
                break
        field.setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def result_settings(self) -> Settings | None:
        return self._result
