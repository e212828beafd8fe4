"""The status bar: license tier and licensee, disk use of the models, online/offline."""

from __future__ import annotations

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from clary_desktop.domain.access import Tier
from clary_desktop.formatting import format_size
from clary_desktop.gui.widgets.badges import Badge, tier_color

#: Below this width the licensee's name gives its room to the messages (the tier badge
#: stays, and says it in its tooltip).
NARROW_WIDTH = 900


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.tier_badge = Badge("…")
        self.tier_badge.setObjectName("tierBadge")
        self.license_label = QLabel("Reading license…")
        self.license_label.setObjectName("licenseLabel")
        self.disk_label = QLabel("")
        self.disk_label.setObjectName("diskLabel")
        self.online_label = QLabel("")
        self.online_label.setObjectName("onlineLabel")
        self.count_label = QLabel("")
        self.count_label.setObjectName("countLabel")
        self.count_label.setContentsMargins(12, 0, 0, 0)  # apart from the message
        self.api_label = QLabel("")
        self.api_label.setObjectName("apiLabel")
        self.api_label.hide()
        self.operation = QProgressBar()
        self.operation.setObjectName("operationProgress")
        self.operation.setMaximumWidth(220)
        self.operation.setTextVisible(True)
        self.operation.hide()
        self.addPermanentWidget(self.operation)
        self.addPermanentWidget(self.count_label)
        self.addPermanentWidget(self.api_label)
        self.addPermanentWidget(self.disk_label)
        self.addPermanentWidget(self.online_label)
        self.addPermanentWidget(self.license_label)
        self.addPermanentWidget(self.tier_badge)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.license_label.setVisible(event.size().width() >= NARROW_WIDTH)

    def set_license(self, tier: Tier, text: str, problem: bool = False) -> None:
        self.tier_badge.set_badge(tier.label, tier_color(tier.key))
        self.tier_badge.setToolTip(f"Your license tier: {tier.label}. {text}")
        self.license_label.setText(text)
        self.license_label.setStyleSheet("color: #b3261e;" if problem else "")

    def set_disk(self, used: int | None, free: int | None) -> None:
        parts = []
        if used is not None:
            parts.append(f"Models: {format_size(used)}")
        if free is not None:
            parts.append(f"{format_size(free)} free")
        self.disk_label.setText(" · ".join(parts))

    def set_online(self, online: bool | None, offline_mode: bool = False) -> None:
        """True / False: what the last network probe found; None: not probed yet."""
        if online is None and not offline_mode:
            self.online_label.setText("◌ Checking network…")
            self.online_label.setStyleSheet("color: #777;")
            self.online_label.setToolTip("Looking for the network")
            return
        self.online_label.setText("● Online" if online else "○ Offline")
        self.online_label.setStyleSheet("color: #2e7d32;" if online else "color: #777;")
        if online:
            tip = "Downloads and catalog updates can reach the Hub"
        elif offline_mode:
            tip = (
                "Offline mode: the program never touches the network; the catalog and "
                "installed models work without it"
            )
        else:
            tip = (
                "The Hub cannot be reached: the catalog and installed models still work; "
                "downloads resume when the network is back"
            )
        self.online_label.setToolTip(tip)

    def set_api(self, url: str | None, exposed: bool = False) -> None:
        """The local API's address while it runs; orange when reachable from the network."""
        self.api_label.setVisible(url is not None)
        if url is None:
            self.api_label.clear()
            return
        self.api_label.setText(f"API {url.removeprefix('http://')}")
        self.api_label.setStyleSheet("color: #8a5a00;" if exposed else "")
        self.api_label.setToolTip(
            f"The local API listens on {url}"
            + (" and can be reached from other computers" if exposed else "")
        )

    def set_operation(self, text: str, fraction: float | None) -> None:
        """A long storage operation's progress (import, export, move)."""
        if fraction is None:
            self.operation.setRange(0, 0)
        else:
            self.operation.setRange(0, 1000)
            self.operation.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
        self.operation.setFormat(f"{text} %p%" if fraction is not None else text)
        self.operation.setToolTip(text)
        self.operation.show()

    def clear_operation(self) -> None:
        self.operation.hide()
        self.operation.setRange(0, 1000)
        self.operation.reset()

    def set_counts(self, shown: int, total: int, locked: dict[str, int] | None = None) -> None:
        """`locked`: entries per tier above the user's, which the list hides or greys."""
        text = f"{shown:,} of {total:,} models"
        if locked:
            tiers = " or ".join(t.capitalize() for t in sorted(locked, key=Tier.parse))
            text += f" · {sum(locked.values()):,} need a {tiers} license"
        self.count_label.setText(text)
        self.count_label.setToolTip(
            "Models your license tier does not include are hidden; tick “Show locked "
            "models” to list them, or load a license (File > Load license…)."
            if locked
            else ""
        )
