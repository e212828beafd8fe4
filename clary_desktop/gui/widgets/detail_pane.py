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
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from clary_desktop.formatting import format_size
from clary_desktop.gui.models.queue_model import JobRow
from clary_desktop.gui.widgets.badges import NONCOMMERCIAL_COLOR, Badge, tier_color
from clary_desktop.registry.access import Tier
from clary_desktop.registry.views import ModelInfo, VersionInfo

ACTIONS = ("download", "pause", "resume", "cancel", "retry", "remove", "verify", "open_folder")
_LABELS = {
    "download": "Download",
    "pause": "Pause",
    "resume": "Resume",
    "cancel": "Cancel",
    "retry": "Retry",
    "remove": "Remove",
    "verify": "Verify",
    "open_folder": "Open folder",
}


def license_html(info: ModelInfo) -> str:
    lic = info.license
    if not lic.name and not lic.id:
        return "not stated"
    name = escape(lic.name or lic.id or "")
    text = f'<a href="{escape(lic.url)}">{name}</a>' if lic.url else name
    if lic.commercial_use is False:
        text += (f' <b style="color:{NONCOMMERCIAL_COLOR}">— NON-COMMERCIAL: '
                 "commercial use is not allowed</b>")
    elif lic.commercial_use is None:
        text += " (commercial use: not stated)"
    return text


def source_html(version: VersionInfo | None, info: ModelInfo) -> str:
    repo = (version.repo_id if version else None) or info.repo_id
    if repo:
        revision = version.revision if version and version.revision else "latest"
        return (f'Hugging Face Hub <code>{escape(repo)}</code> at revision '
                f"<code>{escape(revision[:12])}</code>")
    url = (version.download_url if version else None) or info.download_url
    if url:
        return f"URL <code>{escape(url)}</code>"
    return "per-file URLs"


def details_html(info: ModelInfo, versions: list[VersionInfo], installed_path: str | None) -> str:
    current = next((v for v in versions if v.version == info.version), None)
    params = ", ".join(f"{escape(str(k))}: {escape(str(v))}" for k, v in info.parameters.items())
    rows = [
        ("Id", f"<code>{escape(info.id)}</code>"),
        ("Type", escape(info.type)),
        ("Version", escape(info.version)),
        ("Size", f"{format_size(info.size_bytes)}"
                 + (f" ({info.size_bytes:,} bytes)" if info.size_bytes else "")),
        ("Tier", escape(info.tier.capitalize())),
        ("License", license_html(info)),
        ("Tags", escape(", ".join(info.tags)) or "—"),
        ("Parameters", params or "—"),
        ("Source", source_html(current, info)),
        ("Installed", f"version {escape(info.installed_version)} in <code>"
                      f"{escape(installed_path or '?')}</code>"
         if info.installed_version else "not installed"),
    ]
    body = [f"<p>{escape(info.description)}</p>" if info.description else ""]
    body.append('<table cellspacing="0" cellpadding="3">')
    for label, value in rows:
        body.append(f'<tr><td valign="top" style="color:#666;padding-right:10px">{label}</td>'
                    f"<td>{value}</td></tr>")
    body.append("</table>")
    if current is not None and current.files:
        body.append(f"<h4>Files ({len(current.files)})</h4>")
        body.append('<table cellspacing="0" cellpadding="2">')
        for f in current.files:
            sha = f"sha256 {f.sha256}" if f.sha256 else "sha256 not listed in the catalog"
            body.append(f"<tr><td><code>{escape(f.path)}</code></td>"
                        f'<td align="right" style="padding-left:12px">{format_size(f.size_bytes)}'
                        "</td></tr>"
                        f'<tr><td colspan="2" style="color:#666;font-size:small;'
                        f'padding-bottom:4px">{sha}</td></tr>')
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
            body.append(f"<p><b>{escape(v.version)}</b>{tag} — {v.created_at:%Y-%m-%d}<br>"
                        f"{changes}</p>")
    return "\n".join(body)


class DetailPane(QWidget):
    action_requested = Signal(str, str)  # action, model id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailPane")
        self._info: ModelInfo | None = None
        self._job: JobRow | None = None
        self._locked = False

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
        badges = QHBoxLayout()
        badges.addWidget(self.tier_badge)
        badges.addWidget(self.noncommercial_badge)
        badges.addWidget(self.status_label)
        badges.addStretch(1)

        self.lock_message = QLabel()
        self.lock_message.setObjectName("lockMessage")
        self.lock_message.setWordWrap(True)
        self.lock_message.setStyleSheet(
            "QLabel { background: #fff4e5; border: 1px solid #f0c36d; border-radius: 4px;"
            " padding: 6px; color: #5f4100; }")

        self.progress = QProgressBar()
        self.progress.setObjectName("detailProgress")
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(True)

        self.buttons: dict[str, QPushButton] = {}
        actions = QHBoxLayout()
        for action in ACTIONS:
            button = QPushButton(_LABELS[action])
            button.setObjectName(f"action-{action}")
            button.clicked.connect(lambda _=False, a=action: self._request(a))
            button.hide()
            actions.addWidget(button)
            self.buttons[action] = button
        actions.addStretch(1)

        self.body = QTextBrowser()
        self.body.setObjectName("detailBody")
        self.body.setOpenExternalLinks(True)
        self.body.setFrameShape(QTextBrowser.Shape.NoFrame)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.addWidget(self.title)
        layout.addLayout(badges)
        layout.addWidget(self.lock_message)
        layout.addWidget(self.progress)
        layout.addLayout(actions)
        layout.addWidget(self.body, 1)
        self._stack.addWidget(page)

        self.setMinimumWidth(360)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._stack)

    @property
    def model_id(self) -> str | None:
        return self._info.id if self._info else None

    def clear(self) -> None:
        self._info = None
        self._job = None
        self._stack.setCurrentIndex(0)

    def show_model(self, info: ModelInfo, versions: list[VersionInfo], user_tier: Tier,
                   installed_path: str | None, job: JobRow | None) -> None:
        self._info = info
        self._locked = info.locked
        self.title.setText(info.name)
        self.tier_badge.set_badge(info.tier.capitalize(), tier_color(info.tier))
        self.noncommercial_badge.setVisible(info.license.commercial_use is False)
        if info.locked:
            self.lock_message.setText(
                f"Locked: this model needs the {info.tier.capitalize()} tier; your license is "
                f"{user_tier.label}. Load a license for {info.tier.capitalize()} to download it.")
        self.lock_message.setVisible(info.locked)
        self.body.setHtml(details_html(info, versions, installed_path))
        self._stack.setCurrentIndex(1)
        self.set_job(job)

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
        update = installed and info.installed_version != info.version
        enabled = {
            "download": not info.locked and not active and (not installed or update),
            "pause": active and job is not None and job.state in ("queued", "downloading"),
            "resume": active and job is not None and job.state == "paused",
            "cancel": active,
            "retry": job is not None and job.state == "failed" and not info.locked,
            "remove": installed and not active,
            "verify": installed and not active,
            "open_folder": installed,
        }
        self.buttons["download"].setText("Update" if update else "Download")
        for action, button in self.buttons.items():
            button.setEnabled(enabled[action])
            button.setVisible(enabled[action] or action in ("download", "remove"))

    def _request(self, action: str) -> None:
        if self._info is not None:
            self.action_requested.emit(action, self._info.id)

    def plain_text(self) -> str:
        """Everything the pane shows, as text (what a screen reader or a test reads)."""
        parts: list[Any] = [self.title.text(), self.tier_badge.text(), self.status_label.text()]
        if self.noncommercial_badge.isVisibleTo(self):
            parts.append(self.noncommercial_badge.text())
        if self.lock_message.isVisibleTo(self):
            parts.append(self.lock_message.text())
        parts.append(self.body.toPlainText())
        return "\n".join(str(p) for p in parts)


def row_status_for(info: ModelInfo, job: JobRow | None) -> str:
    state = job.state if job else None
    if info.locked:
        return f"locked — needs {info.tier.capitalize()}"
    if state in ("queued", "downloading", "paused", "verifying"):
        percent = job.percent if job else None
        return f"{state} {percent}%" if state == "downloading" and percent is not None else state
    if state == "failed" and job is not None:
        return f"download failed: {job.error or 'unknown reason'}"
    if info.installed_version is not None:
        return ("update available" if info.installed_version != info.version
                else f"installed ({info.installed_version})")
    return "not installed"

