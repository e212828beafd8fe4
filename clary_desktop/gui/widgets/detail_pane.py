"""The detail pane: everything about the selected model, and the actions that apply."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from clary_desktop.domain.access import Tier
from clary_desktop.domain.model_status import (
    ACTIVE_JOB_STATES,
    FAILED,
    PARTIAL_KEPT,
    status_word,
)
from clary_desktop.domain.model_views import ModelInfo, VersionInfo
from clary_desktop.domain.pipeline_values import ModelPerformance
from clary_desktop.domain.version_order import rollback_target
from clary_desktop.formatting import format_size
from clary_desktop.gui.keyboard import accessible, name_from_text
from clary_desktop.gui.models.queue_model import JobRow, plain_error
from clary_desktop.gui.widgets.badges import NONCOMMERCIAL_COLOR, Badge, tier_color
from clary_desktop.gui.widgets.card_view import CardView
from clary_desktop.gui.widgets.fit_panel import FitPanel
from clary_desktop.gui.widgets.model_usage import ParametersForm, PerformanceSection, UseForBox
from clary_desktop.gui.widgets.welcome import WelcomePanel

ACTIONS = (
    "download",
    "update",
    "pause",
    "resume",
    "cancel",
    "retry",
    "rollback",
    "remove",
    "verify",
    "open_folder",
    "link_cache",
)
_LABELS = {
    "download": "Download",
    "update": "Update",
    "rollback": "Roll back",
    "pause": "Pause",
    "resume": "Resume",
    "cancel": "Cancel",
    "retry": "Retry",
    "remove": "Remove",
    "verify": "Verify",
    "open_folder": "Open folder",
    "link_cache": "Install from Hugging Face cache",
}


def license_html(info: ModelInfo) -> str:
    lic = info.license
    if not lic.name and not lic.id:
        return "not stated"
    name = escape(lic.name or lic.id or "")
    text = f'<a href="{escape(lic.url)}">{name}</a>' if lic.url else name
    if lic.commercial_use is False:
        text += (
            f' <b style="color:{NONCOMMERCIAL_COLOR}">— NON-COMMERCIAL: '
            "commercial use is not allowed</b>"
        )
    elif lic.commercial_use is None:
        text += " (commercial use: not stated)"
    return text


def has_update(info: ModelInfo) -> bool:
    return info.update_available


def source_html(version: VersionInfo | None, info: ModelInfo) -> str:
    repo = (version.repo_id if version else None) or info.repo_id
    if repo:
        revision = version.revision if version and version.revision else "latest"
        return (
            f"Hugging Face Hub <code>{escape(repo)}</code> at revision "
            f"<code>{escape(revision[:12])}</code>"
        )
    url = (version.download_url if version else None) or info.download_url
    if url:
        return f"URL <code>{escape(url)}</code>"
    return "per-file URLs"


UNVERIFIED_HTML = (
    "<br><b>Unverified:</b> the catalog lists no sha256 for some of its files, "
    "so Clary could not check what the server sent."
)


def details_html(info: ModelInfo, versions: list[VersionInfo], installed_path: str | None) -> str:
    current = next((v for v in versions if v.version == info.version), None)
    params = ", ".join(f"{escape(str(k))}: {escape(str(v))}" for k, v in info.parameters.items())
    rows = [
        ("Id", f"<code>{escape(info.id)}</code>"),
        ("Type", escape(info.type)),
        ("Version", escape(info.version)),
        (
            "Size",
            f"{format_size(info.size_bytes)}"
            + (f" ({info.size_bytes:,} bytes)" if info.size_bytes else ""),
        ),
        ("Tier", escape(info.tier.capitalize())),
        ("License", license_html(info)),
        ("Tags", escape(", ".join(info.tags)) or "—"),
        ("Parameters", params or "—"),
        ("Source", source_html(current, info)),
        (
            "Installed",
            f"version {escape(info.installed_version)} in <code>"
            f"{escape(installed_path or '?')}</code>" + UNVERIFIED_HTML * info.unverified
            if info.installed_version
            else "not installed",
        ),
    ]
    body = [f"<p>{escape(info.description)}</p>" if info.description else ""]
    body.append('<table cellspacing="0" cellpadding="3">')
    for label, value in rows:
        body.append(
            f'<tr><td valign="top" style="color:#666;padding-right:10px">{label}</td>'
            f"<td>{value}</td></tr>"
        )
    body.append("</table>")
    if current is not None and current.files:
        body.append(f"<h4>Files ({len(current.files)})</h4>")
        body.append('<table cellspacing="0" cellpadding="2">')
        for f in current.files:
            sha = f"sha256 {f.sha256}" if f.sha256 else "sha256 not listed in the catalog"
            body.append(
                f"<tr><td><code>{escape(f.path)}</code></td>"
                f'<td align="right" style="padding-left:12px">{format_size(f.size_bytes)}'
                "</td></tr>"
                f'<tr><td colspan="2" style="color:#666;font-size:small;'
                f'padding-bottom:4px">{sha}</td></tr>'
            )
        body.append("</table>")
    if versions:
        body.append("<h4>Versions</h4>")
        for v in reversed(versions):
            marks = []
            if v.version == info.version:
                marks.append("latest")
            if v.installed:
                marks.append("installed")
            tag = f" ({', '.join(marks)})" if marks else ""
            changes = escape(v.changes) if v.changes else "no notes"
            body.append(
                f"<p><b>{escape(v.version)}</b>{tag} — {v.created_at:%Y-%m-%d}<br>{changes}</p>"
            )
    return "\n".join(body)


def _scrolling(*widgets: QWidget) -> QScrollArea:
    inner = QWidget()
    layout = QVBoxLayout(inner)
    layout.setContentsMargins(4, 8, 4, 4)
    for widget in widgets:
        layout.addWidget(widget)
    layout.addStretch(1)
    scroll = QScrollArea()
    scroll.setWidget(inner)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields inside
    return scroll


class DetailPane(QWidget):
    action_requested = Signal(str, str)  # action, model id
    use_requested = Signal(str, str)  # task, model id
    parameters_save_requested = Signal(str, dict)  # model id, changed values
    parameters_reset_requested = Signal(str)  # model id
    show_requested = Signal(str)  # model id: select it in the list
    license_requested = Signal()  # the locked banner's "Load license…"
    get_license_requested = Signal()  # the locked banner's "Get a license"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailPane")
        self._info: ModelInfo | None = None
        self._job: JobRow | None = None
        self._locked = False
        self._rollback_to: str | None = None
        self.cached_models: frozenset[str] = frozenset()

        self._stack = QStackedWidget()
        self.welcome = WelcomePanel()
        self.welcome.download_requested.connect(lambda m: self.action_requested.emit("download", m))
        self.welcome.show_requested.connect(self.show_requested)
        self._stack.addWidget(_scrolling(self.welcome))

        page = QWidget()
        self.title = QLabel()
        self.title.setObjectName("detailTitle")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)

        self.tier_badge = Badge()
        self.noncommercial_badge = Badge("NON-COMMERCIAL", NONCOMMERCIAL_COLOR)
        self.noncommercial_badge.setToolTip("This model's license forbids commercial use")
        self.status_label = QLabel()
        self.fit = FitPanel()  # its summary sits with the badges, its numbers under Usage
        badges = QHBoxLayout()
        badges.addWidget(self.tier_badge)
        badges.addWidget(self.noncommercial_badge)
        badges.addWidget(self.status_label)
        badges.addWidget(self.fit.summary)
        badges.addStretch(1)

        self.lock_message = QLabel()
        self.lock_message.setObjectName("lockMessage")
        self.lock_message.setWordWrap(True)
        self.load_license_button = QPushButton("Load license…")
        self.load_license_button.setObjectName("lockLoadLicense")
        self.load_license_button.clicked.connect(self.license_requested)
        self.get_license_button = QPushButton("Get a license")
        self.get_license_button.setObjectName("lockGetLicense")
        self.get_license_button.setToolTip("Clary's page about licenses, in your browser")
        self.get_license_button.clicked.connect(self.get_license_requested)
        self.lock_banner = QFrame()
        self.lock_banner.setObjectName("lockBanner")
        self.lock_banner.setStyleSheet(
            "QFrame#lockBanner { background: #fff4e5; border: 1px solid #f0c36d;"
            " border-radius: 4px; } QFrame#lockBanner QLabel { color: #5f4100; }"
        )
        lock_buttons = QHBoxLayout()
        lock_buttons.addWidget(self.load_license_button)
        lock_buttons.addWidget(self.get_license_button)
        lock_buttons.addStretch(1)
        lock_layout = QVBoxLayout(self.lock_banner)
        lock_layout.setContentsMargins(8, 6, 8, 6)
        lock_layout.addWidget(self.lock_message)
        lock_layout.addLayout(lock_buttons)

        self.update_note = QLabel()
        self.update_note.setObjectName("updateNote")
        self.update_note.setWordWrap(True)
        self.update_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.update_note.setStyleSheet(
            "QLabel { background: #e8f1fb; border: 1px solid #9cc2ea; border-radius: 4px;"
            " padding: 6px; color: #0d3c6e; }"
        )
        self.update_note.hide()
        self.retired_note = QLabel(
            "Retired: this model is no longer in the catalog. It stays usable while it is "
            "installed and is never deleted without you."
        )
        self.retired_note.setObjectName("retiredNote")
        self.retired_note.setWordWrap(True)
        self.retired_note.setStyleSheet("color: #666;")
        self.retired_note.hide()

        self.job_note = QLabel()
        self.job_note.setObjectName("jobNote")
        self.job_note.setWordWrap(True)
        self.job_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.job_note.hide()

        self.progress = QProgressBar()
        self.progress.setObjectName("detailProgress")
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(True)

        self.buttons: dict[str, QPushButton] = {}
        actions = QHBoxLayout()
        versions_row = QHBoxLayout()  # Update / Roll back get their own row: long labels
        for action in ACTIONS:
            button = QPushButton(_LABELS[action])
            button.setObjectName(f"action-{action}")
            button.clicked.connect(lambda _=False, a=action: self._request(a))
            button.hide()
            second_row = action in ("update", "rollback", "link_cache")
            (versions_row if second_row else actions).addWidget(button)
            self.buttons[action] = button
        actions.addStretch(1)
        versions_row.addStretch(1)

        self.body = QTextBrowser()
        self.body.setObjectName("detailBody")
        self.body.setOpenExternalLinks(True)
        self.body.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.body.setTabChangesFocus(True)  # Tab leaves the text (links: Enter, arrows)
        accessible(self.body, "Model details", "Description, license, files and versions")

        self.use_for = UseForBox()
        self.use_for.use_requested.connect(self.use_requested)
        self.parameters = ParametersForm()
        self.parameters.save_requested.connect(self.parameters_save_requested)
        self.parameters.reset_requested.connect(self.parameters_reset_requested)
        self.parameters.values_changed.connect(self.fit.update_values)
        self.performance = PerformanceSection()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("detailTabs")
        self.tabs.setDocumentMode(True)
        self.card = CardView()
        self.card.browser.setTabChangesFocus(True)
        accessible(self.card.browser, "Model card", "What the model is for, how to use it")
        self.tabs.addTab(self.body, "Details")
        self.tabs.addTab(self.card, "Card")
        self.usage_tab = _scrolling(self.use_for, self.parameters, self.fit)
        self.tabs.addTab(self.usage_tab, "Usage")
        self.performance_tab = _scrolling(self.performance)
        self.tabs.addTab(self.performance_tab, "Performance")
        for tabs in (self.tabs, self.tabs.tabBar()):
            accessible(tabs, "Model tabs", "Details, Card, Usage, Performance: Left, Right switch")

        layout = QVBoxLayout(page)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.addWidget(self.title)
        layout.addLayout(badges)
        layout.addWidget(self.lock_banner)
        layout.addWidget(self.update_note)
        layout.addWidget(self.retired_note)
        layout.addWidget(self.job_note)
        layout.addWidget(self.progress)
        layout.addLayout(versions_row)
        layout.addLayout(actions)
        layout.addWidget(self.tabs, 1)
        self._stack.addWidget(page)

        self.setMinimumWidth(300)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._stack)

    @property
    def rollback_to(self) -> str | None:
        return self._rollback_to

    @property
    def model_id(self) -> str | None:
        return self._info.id if self._info else None

    def clear(self) -> None:
        self._info = None
        self._job = None
        self.fit.clear(None)
        self._stack.setCurrentIndex(0)

    def show_model(
        self,
        info: ModelInfo,
        versions: list[VersionInfo],
        user_tier: Tier,
        installed_path: str | None,
        job: JobRow | None,
    ) -> None:
        if info.id != self.fit.model_id:
            self.fit.clear(info.id)
        self._info = info
        self._locked = info.locked
        self.title.setText(info.name)
        self.tier_badge.set_badge(info.tier.capitalize(), tier_color(info.tier))
        self.noncommercial_badge.setVisible(info.license.commercial_use is False)
        if info.locked:
            self.lock_message.setText(
                f"Locked: this model needs the {info.tier.capitalize()} tier; your license is "
                f"{user_tier.label}. Load a {info.tier.capitalize()} license file to download "
                "it, or get one from Clary."
            )
        self.lock_banner.setVisible(info.locked)
        update = has_update(info)
        if update:
            newest = next((v for v in versions if v.version == info.version), None)
            changes = newest.changes if newest is not None and newest.changes else "no notes"
            self.update_note.setText(f"Update to {info.version}: {changes}")
        self.update_note.setVisible(update)
        self.retired_note.setVisible(info.retired)
        self._rollback_to = rollback_target(
            info.installed_version, (v.version for v in versions if v.installed)
        )
        self.body.setHtml(details_html(info, versions, installed_path))
        self.card.show_card(info, None, license_html(info))
        self._stack.setCurrentIndex(1)
        self.set_job(job)

    def show_usage(
        self,
        default_for: list[str],
        current: str | None,
        parameters: dict[str, Any] | None,
        limits: dict[str, tuple[float, float]] | None = None,
    ) -> None:
        """The "Use for" control and the parameters form of the shown model."""
        info = self._info
        if info is None:
            return
        blocked = None
        if info.locked:
            blocked = f"Needs the {info.tier.capitalize()} tier."
        elif info.installed_version is None:
            blocked = "Download the model to use it."
        self.use_for.show_usage(info.id, info.type, default_for, current, blocked)
        if parameters is not None:
            self.parameters.show_parameters(info.id, parameters, limits)
        self.parameters.setEnabled(not info.locked)
        name_from_text(self)  # fields made for this model, "Use for <task>"

    def show_card(self, card: str | None) -> None:
        """The catalog's card of the shown model (read with its details)."""
        if self._info is not None:
            self.card.show_card(self._info, card, license_html(self._info))

    def show_performance(self, performance: ModelPerformance | None) -> None:
        if (
            self._info is not None
            and performance is not None
            and performance.model_id == self._info.id
        ):
            self.performance.show_performance(performance)

    def set_job(self, job: JobRow | None) -> None:
        """Refresh the status line, progress bar and buttons for the current download."""
        info = self._info
        if info is None:
            return
        self._job = job
        active = job is not None and job.active
        status = row_status_for(info, job)
        self.status_label.setText(status)
        note, failed = job_note_for(job)
        self.job_note.setText(note)
        self.job_note.setStyleSheet(FAILED_NOTE_STYLE if failed else KEPT_NOTE_STYLE)
        self.job_note.setVisible(bool(note))
        kept = job is not None and job.state == "cancelled" and job.partial_kept
        self.progress.setVisible(active)
        if active and job is not None:
            percent = job.percent
            if percent is None:
                self.progress.setRange(0, 0)
            else:
                self.progress.setRange(0, 100)
                self.progress.setValue(percent)
        installed = info.installed_version is not None
        update = has_update(info)
        enabled = {
            "download": not info.locked and not active and not installed,
            "update": update and not active,
            "rollback": self._rollback_to is not None and not active,
            "pause": active and job is not None and job.state in ("queued", "downloading"),
            "resume": active and job is not None and job.state == "paused",
            "cancel": active,
            "retry": job is not None and (job.state == "failed" or kept) and not info.locked,
            "remove": installed and not active,
            "verify": installed and not active,
            "open_folder": installed,
            "link_cache": (
                info.id in self.cached_models and not info.locked and not installed and not active
            ),
        }
        self.buttons["update"].setText(f"Update to {info.version}")
        self.buttons["rollback"].setText(
            f"Roll back to {self._rollback_to}" if self._rollback_to else "Roll back"
        )
        self.buttons["retry"].setText("Resume" if kept else "Retry")
        # One way forward: Retry/Resume continues the stopped download, so no Download too.
        always = ("remove",) if installed else () if enabled["retry"] else ("download",)
        if enabled["retry"] and not installed:
            enabled["download"] = False
        for action, button in self.buttons.items():
            button.setEnabled(enabled[action])
            button.setVisible(enabled[action] or action in always)
        name_from_text(self)  # the buttons' names follow their text (Update to 1.1)

    def set_cached_models(self, model_ids: frozenset[str]) -> None:
        """Models the Hugging Face cache holds complete: offer to install from it."""
        self.cached_models = model_ids
        if self._info is not None:
            self.set_job(self._job)

    def _request(self, action: str) -> None:
        if self._info is not None:
            self.action_requested.emit(action, self._info.id)

    def plain_text(self) -> str:
        """Everything the pane shows, as text (what a screen reader or a test reads)."""
        parts: list[str] = [self.title.text(), self.tier_badge.text(), self.status_label.text()]
        if self.noncommercial_badge.isVisibleTo(self):
            parts.append(self.noncommercial_badge.text())
        if not self.lock_banner.isHidden():
            parts.append(self.lock_message.text())
        for note in (self.update_note, self.retired_note, self.job_note):
            if not note.isHidden():
                parts.append(note.text())
        parts.append(self.body.toPlainText())
        parts.append(self.use_for.state.text())
        parts.append(self.fit.text())
        parts.append(self.performance.text())
        return "\n".join(str(p) for p in parts)


FAILED_NOTE_STYLE = (
    "QLabel { background: #fdecea; border: 1px solid #e6a7a1; border-radius: 4px;"
    " padding: 6px; color: #7a1c14; }"
)
KEPT_NOTE_STYLE = (
    "QLabel { background: #eef6ee; border: 1px solid #a5cfa7; border-radius: 4px;"
    " padding: 6px; color: #1e4620; }"
)


def job_note_for(job: JobRow | None) -> tuple[str, bool]:
    """The wrapped line under the header about a stopped download: (text, is a failure)."""
    if job is None:
        return "", False
    if job.state == FAILED:
        kept = " Retry continues from what is already downloaded." if job.partial_kept else ""
        return f"The download failed: {plain_error(job.error)}{kept}", True
    if job.state == "cancelled" and job.partial_kept:
        done = format_size(job.bytes_done)
        percent = f"{job.percent}% ({done})" if job.percent is not None else done
        return f"The download was stopped; {percent} is kept. Resume continues from there.", False
    return "", False


def row_status_for(info: ModelInfo, job: JobRow | None) -> str:
    """`status_word` in the pane's words: the tier a locked model needs, the percent of a
    running download or of a stopped one's kept part, the version installed."""
    state = job.state if job else None
    word = status_word(
        locked=info.locked,
        job_state=state,
        installed_version=info.installed_version,
        update_available=info.update_available,
        partial_kept=job is not None and job.partial_kept,
    )
    if word == "locked":
        return f"locked — needs {info.tier.capitalize()}"
    if word == "paused" and job is not None:
        return job.state_text  # with why: the program quit, the disk is full
    if word in ACTIVE_JOB_STATES:
        percent = job.percent if job else None
        return f"{word} {percent}%" if word == "downloading" and percent is not None else word
    if word == FAILED:
        return "download failed"
    if word == PARTIAL_KEPT and job is not None and job.percent is not None:
        return f"{job.percent}% kept"
    if word == "installed":
        return f"installed ({info.installed_version})" + (", unverified" if info.unverified else "")
    return word
