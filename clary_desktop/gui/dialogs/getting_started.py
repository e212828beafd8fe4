"""Help > Getting started: the first steps, in the window's own words."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from clary_desktop import APP_NAME

STEPS_HTML = f"""
<h3>Getting started with {APP_NAME}</h3>
<ol>
<li><b>Pick a model.</b> With nothing selected, the right-hand pane recommends one model
per task for your license. Search and the filters on the left narrow the list; select a
model to read its details and its card.</li>
<li><b>Download it.</b> Download (or Enter on the list) fetches and checks every file.
The Downloads panel at the bottom shows progress; Pause, Resume and Stop are there. A
download stopped with its files kept continues where it stopped.</li>
<li><b>Use it for a task.</b> In the model's Usage tab, “Use for …” makes it the model
your document pipeline uses for that task (llm, layout, ocr). View &gt; Model usage
lists every task and its model. The Usage tab also holds the model's parameters.</li>
<li><b>Licenses.</b> Without a license you have the free Lite models. Models that need
Standard or Professional show a lock; File &gt; Load license… reads the license file
Clary sent you.</li>
<li><b>Offline.</b> Installed models work without a network. Tools &gt; Verify all
installed models re-checks every file; View &gt; Storage… shows what uses the disk.</li>
</ol>
"""


class GettingStartedDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gettingStartedDialog")
        self.setWindowTitle("Getting started")
        self.resize(560, 460)
        self.label = QLabel(STEPS_HTML)
        self.label.setObjectName("gettingStartedText")
        self.label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(buttons)
