"""The window says what happened and keeps saying it: results stay on show, the
parameters form keeps edits and points at what is wrong, and states that used to be
silent (no model for a task, an empty search, when files were last verified) are shown."""

from __future__ import annotations

from PySide6.QtCore import Qt

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.gui.dialogs.usage_dialog import UsageDialog
from clary_desktop.gui.models.catalog_model import NAME
from tests.gui.fakes import FakeDownloads
from tests.gui.test_usage_and_api import install, llm_entry
from tests.gui.window_helpers import select
from tests.support.download_env import import_entries


def test_a_finished_download_stays_announced_after_the_reload(open_window, tier_registry, qtbot):
    registry = tier_registry(Tier.LITE)
    fake = FakeDownloads(registry)
    registry.use_download_engine(fake)
    window = open_window(registry)
    window.model_actions.request_action("download", "got-ocr-2")
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 1, timeout=15000)
    # The reload that follows a finished download must not post "Ready" over the news.
    with qtbot.waitSignal(window.catalog_loaded, timeout=15000):
        fake.progress(1, "completed", 1000)
    expected = "Download complete: GOT-OCR 2.0 1.0.0 is installed."
    assert window.status.currentMessage() == expected
    qtbot.wait(2000)
    assert window.status.currentMessage() == expected
    assert window.queue_model.index(0, 5).data() == "completed"


def test_a_verification_result_stays_on_show(open_window, tmp_path, paths, qtbot):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    try:
        import_entries(registry, llm_entry("tiny-a"))
        install(registry, "tiny-a", tmp_path)
        window = open_window(registry)
        with qtbot.waitSignal(window.catalog_loaded, timeout=15000):
            window.model_actions.verify(None)
        assert window.status.currentMessage().startswith("Checked 1 file(s): none damaged")
        qtbot.wait(2000)
        assert window.status.currentMessage().startswith("Checked 1 file(s): none damaged")
    finally:
        registry.close()


def test_the_parameters_form_keeps_save_still_and_asks_before_dropping_edits(
    open_window, tmp_path, paths, qtbot
):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    try:
        import_entries(registry, llm_entry("tiny-a"), llm_entry("tiny-b"))
        install(registry, "tiny-a", tmp_path)
        window = open_window(registry)
        select(window, qtbot, "tiny-a")
        detail = window.detail
        detail.tabs.setCurrentWidget(detail.usage_tab)
        form = detail.parameters
        button = form.save_button
        qtbot.waitUntil(  # laid out: the tab was just brought forward
            lambda: button.isVisible() and button.height() == button.sizeHint().height(),
            timeout=10000,
        )

        def where() -> tuple[int, int]:
            point = button.mapTo(window, button.rect().topLeft())
            return point.x(), point.y()

        before = where()

        form.boxes["batch_size"].setValue(4000)  # more than the context length (2048)
        assert form.title() == "Parameters — unsaved changes"
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: form.error_text != "", timeout=10000)
        assert form.error_text.startswith("Batch size of Tiny tiny-a is 4000")
        assert form.invalid_fields() == ["batch_size"]
        qtbot.wait(100)  # let a layout change, if any, happen
        assert where() == before
        form.boxes["batch_size"].setValue(512)  # editing clears the message, not its room
        assert form.error_text == "" and form.invalid_fields() == []
        qtbot.wait(100)
        assert where() == before

        # Another model with edits unsaved: "No" keeps the edits and the model.
        questions: list[str] = []
        window.confirm = lambda question: questions.append(question) or False
        window.select_model("tiny-b")
        assert questions == [
            "The parameters of Tiny tiny-a have changes that are not saved. Discard them and "
            "show the other model?"
        ]
        assert window.selected_model_id() == "tiny-a"
        assert detail.model_id == "tiny-a" and form.boxes["batch_size"].value() == 512
        # "Yes" drops them and shows the other model; nothing was stored.
        window.confirm = lambda question: questions.append(question) or True
        select(window, qtbot, "tiny-b")
        assert len(questions) == 2
        assert registry.model_parameters("tiny-a")["batch_size"] == 256

        select(window, qtbot, "tiny-a")
        form.boxes["batch_size"].setValue(512)
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: form.error_text == "Saved.", timeout=10000)
        assert form.title() == "Parameters" and not form.has_unsaved()
        assert window.last_message == "Saved the parameters of Tiny tiny-a."
        assert registry.model_parameters("tiny-a")["batch_size"] == 512
        select(window, qtbot, "tiny-b")  # saved: no question
        assert len(questions) == 2
    finally:
        registry.close()


def test_removing_the_model_a_task_uses_warns_first(open_window, tmp_path, paths, qtbot):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    try:
        import_entries(registry, llm_entry("tiny-a"))
        folder = install(registry, "tiny-a", tmp_path)
        registry.use_model("llm", "tiny-a")
        window = open_window(registry)
        questions: list[str] = []
        window.confirm = lambda question: questions.append(question) or False
        select(window, qtbot, "tiny-a")
        window.model_actions.request_action("remove", "tiny-a")
        qtbot.waitUntil(lambda: bool(questions), timeout=10000)
        assert questions[0].startswith(
            "Tiny tiny-a is the model the llm task uses. Once it is removed, the llm task has "
            "no model until you choose another."
        )
        assert folder.exists() and registry.usage_for("llm").model_id == "tiny-a"
    finally:
        registry.close()


def test_usage_view_lists_tasks_with_no_model(open_window, tier_registry, qtbot):
    window = open_window(tier_registry(Tier.LITE))
    window.usage_actions.usage_view()
    dialog = window.findChild(UsageDialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 3, timeout=10000)
    assert [dialog.model.index(r, 0).data() for r in range(3)] == ["layout", "llm", "ocr"]
    assert {dialog.model.index(r, 1).data() for r in range(3)} == {"not set"}
    dialog.close()


def test_an_empty_search_says_so_in_the_list(open_window, tier_registry, qtbot):
    window = open_window(tier_registry(Tier.LITE))
    note = window.empty_note
    assert note.isHidden()
    assert window.status.count_label.text() == (
        "3 of 6 models · 3 need a Standard or Professional license"
    )
    qtbot.keyClicks(window.filters.search, "zebra")
    qtbot.waitUntil(lambda: window.catalog_model.rowCount() == 0, timeout=5000)
    assert note.isVisible()
    assert note.text() == (
        "No model matches “zebra” with these filters. Clear the search or use Reset "
        "filters. 3 locked models are hidden."
    )
    window.filters.search.clear()
    assert note.isHidden()


def test_the_size_filter_takes_the_lists_units(open_window, tier_registry, qtbot):
    window = open_window(tier_registry(Tier.PROFESSIONAL))
    filters = window.filters
    filters.size_unit.setCurrentText("MB")
    filters.max_size.setValue(600)  # MB, as the list shows layoutlmv3's size
    shown = {
        window.catalog_model.index(r, NAME).data() for r in range(window.catalog_model.rowCount())
    }
    assert shown and all(
        window.catalog_model.row_at(r).size_bytes is None
        or window.catalog_model.row_at(r).size_bytes <= 600_000_000
        for r in range(window.catalog_model.rowCount())
    )
    assert "Llama 3 8B Instruct (Q4_K_M)" not in shown


def test_the_performance_tab_says_when_files_were_last_verified(
    open_window, tmp_path, paths, qtbot
):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    try:
        import_entries(registry, llm_entry("tiny-a"))
        install(registry, "tiny-a", tmp_path)
        window = open_window(registry)
        select(window, qtbot, "tiny-a")
        shown = window.detail.performance.values["verify"].text()
        assert shown.startswith("not yet")
        registry._job_store.mark_verified("tiny-a", "1.0", 0.25)
        window.refresh_details()
        qtbot.waitUntil(
            lambda: (
                "all files intact, took 0.2 s" in window.detail.performance.values["verify"].text()
                or "all files intact, took 0.3 s"
                in window.detail.performance.values["verify"].text()
            ),
            timeout=10000,
        )
        assert window.detail.performance.values["verify"].text()[:4].isdigit()  # a date
    finally:
        registry.close()
