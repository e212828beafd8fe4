"""The Card tab: the catalog's model card (Markdown) and the license summary with its link.

A card comes from a catalog, so it is untrusted text: it is rendered as Markdown with
HTML switched off (a <script> or <img> shows as the text it is), and no resource is ever
loaded for it (an image link fetches nothing, from the network or the disk). Links open
in the browser only when clicked, and only http(s) ones.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QTextDocument
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from clary_desktop.domain.model_views import ModelInfo

MARKDOWN = (
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub
    | QTextDocument.MarkdownFeature.MarkdownNoHTML
)


class SafeCardBrowser(QTextBrowser):
    """A text browser that loads nothing: every image or stylesheet a card names is
    refused (recorded in `refused`, for tests and logs)."""

    link_requested = Signal(QUrl)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.refused: list[str] = []
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._open)

    def loadResource(self, kind: int, name: QUrl | str) -> Any:
        self.refused.append(name.toString() if isinstance(name, QUrl) else name)
        return None

    def show_markdown(self, text: str) -> None:
        document = QTextDocument(self)
        # The document asks the browser for resources, which refuses them all.
        document.setMarkdown(text, MARKDOWN)
        self.setDocument(document)

    def _open(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https"):
            self.link_requested.emit(url)


class CardView(QWidget):
    """The license summary above the card; the description when there is no card."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cardView")
        self.license = QLabel()
        self.license.setObjectName("cardLicense")
        self.license.setWordWrap(True)
        self.license.setOpenExternalLinks(True)
        self.browser = SafeCardBrowser()
        self.browser.setObjectName("cardBody")
        self.browser.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.browser.link_requested.connect(QDesktopServices.openUrl)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 8, 4, 4)
        layout.addWidget(self.license)
        layout.addWidget(self.browser, 1)

    def show_card(self, info: ModelInfo, card: str | None, license_html: str) -> None:
        self.license.setText(f"<b>License:</b> {license_html}")
        if card:
            self.browser.show_markdown(card)
        else:
            self.browser.show_markdown(
                (info.description or "") + "\n\n*The catalog has no card for this model.*"
            )

    def text(self) -> str:
        return self.browser.toPlainText()
