"""The detail pane: everything about the selected model, and the actions that apply."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
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
from clary_desktop.domain.model_status import ACTIVE_JOB_STATES, status_word
from clary_desktop.domain.model_views import ModelInfo, VersionInfo
from clary_desktop.domain.pipeline_values import ModelPerformance
from clary_desktop.domain.version_order import rollback_target
from clary_desktop.formatting import format_size
from clary_desktop.gui.models.queue_model import JobRow
from clary_desktop.gui.widgets.badges import NONCOMMERCIAL_COLOR, Badge, tier_color
from clary_desktop.gui.widgets.fit_panel import FitPanel
from clary_desktop.gui.widgets.model_usage import ParametersForm, PerformanceSection, UseForBox

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
    return scroll


class DetailPane(QWidget):
    action_requested = Signal(str, str)  # action, model id
    use_requested = Signal(str, str)  # task, model id
    parameters_save_requested = Signal(str, dict)  # model id, changed values
    parameters_reset_requested = Signal(str)  # model id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailPane")
        self._info: ModelInfo | None = None
        self._job: JobRow | None = None
        self._locked = False
        self._rollback_to: str | None = None
        self.cached_models: frozenset[str] = frozenset()

        self._stack = QStackedWidget()
        empty = QLabel("Select a model to see its details.")
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.setStyleSheet("color: #777;")
        self._stack.addWidget(empty)

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
        self.lock_message.setStyleSheet(
            "QLabel { background: #fff4e5; border: 1px solid #f0c36d; border-radius: 4px;"
            " padding: 6px; color: #5f4100; }"
        )

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
        self.tabs.addTab(self.body, "Details")
        self.tabs.addTab(_scrolling(self.use_for, self.parameters, self.fit), "Usage")
        self.tabs.addTab(_scrolling(self.performance), "Performance")

        layout = QVBoxLayout(page)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.addWidget(self.title)
        layout.addLayout(badges)
        layout.addWidget(self.lock_message)
        layout.addWidget(self.update_note)
        layout.addWidget(self.retired_note)
        layout.addWidget(self.progress)
        layout.addLayout(versions_row)
        layout.addLayout(actions)
        layout.addWidget(self.tabs, 1)
        self._stack.addWidget(page)

        self.setMinimumWidth(340)
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
                f"{user_tier.label}. Load a license for {info.tier.capitalize()} to download it."
            )
        self.lock_message.setVisible(info.locked)
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
        self._stack.setCurrentIndex(1)
        self.set_job(job)

    def show_usage(
        self, default_for: list[str], current: str | None, parameters: dict[str, Any] | None
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
            self.parameters.show_parameters(info.id, parameters)
        self.parameters.setEnabled(not info.locked)

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
            "retry": job is not None and job.state == "failed" and not info.locked,
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
        always = ("remove",) if installed else ("download",)
        for action, button in self.buttons.items():
            button.setEnabled(enabled[action])
            button.setVisible(enabled[action] or action in always)

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
        for note in (self.lock_message, self.update_note, self.retired_note):
            if not note.isHidden():
                parts.append(note.text())
        parts.append(self.body.toPlainText())
        parts.append(self.use_for.state.text())
        parts.append(self.fit.text())
        parts.append(self.performance.text())
        return "\n".join(str(p) for p in parts)


def row_status_for(info: ModelInfo, job: JobRow | None) -> str:
    """`status_word` in the pane's words: the tier a locked model needs, the percent of a
    running download, the reason a download failed, the version installed."""
    state = job.state if job else None
    word = status_word(
        locked=info.locked,
        job_state=state,
        installed_version=info.installed_version,
        update_available=info.update_available,
    )
    if word == "locked":
        return f"locked — needs {info.tier.capitalize()}"
    if word in ACTIVE_JOB_STATES:
        percent = job.percent if job else None
        return f"{word} {percent}%" if word == "downloading" and percent is not None else word
    if state == "failed" and job is not None:
        return f"download failed: {job.error or 'unknown reason'}"
    if word == "installed":
        return f"installed ({info.installed_version})" + (", unverified" if info.unverified else "")
    return word
