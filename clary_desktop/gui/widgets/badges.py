"""Tier badges: the same colours in the list, the detail pane and the status bar."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QLabel, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

TIER_COLORS = {
    "lite": "#2e7d32",
    "standard": "#1565c0",
    "professional": "#6a1b9a",
}
NONCOMMERCIAL_COLOR = "#b3261e"


def tier_color(tier: str) -> str:
    return TIER_COLORS.get(tier.lower(), "#616161")


def badge_style(color: str) -> str:
    return (
        f"QLabel {{ background: {color}; color: white; border-radius: 4px; "
        "padding: 1px 7px; font-weight: 600; }"
    )


class Badge(QLabel):
    """A coloured rounded label ("Professional", "NON-COMMERCIAL")."""

    def __init__(self, text: str = "", color: str = "#616161", parent: QWidget | None = None):
        super().__init__(text, parent)
        self.set_badge(text, color)

    def set_badge(self, text: str, color: str) -> None:
        self.setText(text)
        self.setStyleSheet(badge_style(color))


class TierBadgeDelegate(QStyledItemDelegate):
    """Paints the Tier column as a badge; locked rows get a faded one."""

    def __init__(self, tier_role: int, locked_role: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tier_role = tier_role
        self._locked_role = locked_role

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        tier = str(index.data(self._tier_role) or "")
        locked = bool(index.data(self._locked_role))
        metrics = opt.fontMetrics
        width = metrics.horizontalAdvance(text) + 14
        height = metrics.height() + 2
        rect = QRectF(opt.rect.x() + 4, opt.rect.center().y() - height / 2 + 1, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(tier_color(tier))
        if locked:
            color.setAlpha(110)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(rect, 4, 4)
        painter.setPen(QColor("white"))
        font = opt.font
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width() + 24, hint.height())
