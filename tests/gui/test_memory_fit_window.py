"""Will it run here, in the window: the Fits column and its filter at pinned machines, the
detail pane's numbers (the core's estimate), their live update as the parameters form is
edited, the question before saving values that do not fit, planning for another computer,
and "Check memory needs" reading a header on the test Hub while the window stays live."""

from __future__ import annotations

import threading

import huggingface_hub
import pytest
from PySide6.QtCore import QPoint, Qt, QTimer

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.domain.memory_fit import FitRow, FitVerdict, MachineInfo, fit_reason, gpu_share
from clary_desktop.formatting import format_memory
from clary_desktop.gui.models.catalog_model import FITS, NAME, CatalogTableModel
from clary_desktop.gui.models.filtering import FilterSpec
from tests.gui.test_item_models import make_rows
from tests.integration.test_model_fit import SHAPE
from tests.support.download_env import REVISION, hub_entry, import_entries
from tests.support.gguf_files import kv_cache_bytes, write_llm_gguf
from tests.support.hub_server import HubServer

GIB = 1024**3
QWEN = "qwen2.5-1.5b-instruct"
TOOLTIP = Qt.ItemDataRole.ToolTipRole


def names(window) -> set[str]:
    model = window.catalog_model
    return {model.row_at(r).id for r in range(model.rowCount())}


def fits_cell(window, model_id: str, role=Qt.ItemDataRole.DisplayRole):
    model = window.catalog_model
    return model.index(model.row_for(model_id), FITS).data(role)


def plan(window, qtbot, ram: int | None, vram: int | None) -> None:
    """Judge against a pinned machine and wait until the list shows its verdicts."""
    with qtbot.waitSignal(window.fit_actions.fits_changed, timeout=15000):
        window.fit_actions.set_plan((ram, vram))


def select(window, qtbot, model_id: str) -> None:
    """Select a model and wait until its estimate is in the detail pane."""
    with qtbot.waitSignal(
        window.fit_actions.report_shown, timeout=15000, check_params_cb=lambda m: m == model_id
    ):
        assert window.select_model(model_id)


def click_box(qtbot, box) -> None:
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def total_at(registry: Registry, model_id: str, context: int | None = None, **plan) -> int:
    report = registry.fit(
        model_id, context=context, machine=registry.machine_info(**plan), fetch=False
    )
    assert report.estimate is not None
    return report.estimate.total_bytes


@pytest.fixture
def pro(tier_registry) -> Registry:
    """The shipped catalog (its three GGUF models carry their facts), all tiers open."""
    return tier_registry(Tier.PROFESSIONAL)


def test_fits_column_and_tooltip_on_both_sides_of_each_boundary(open_window, pro, qtbot):
    window = open_window(pro)
    need = total_at(pro, QWEN, ram=64 * GIB, vram=0)
    shown = format_memory(need)

    plan(window, qtbot, 64 * GIB, need)
    assert fits_cell(window, QWEN) == "fits GPU"
    assert fits_cell(window, QWEN, TOOLTIP) == (
        f"Fits in GPU memory: needs {shown}; fits the {format_memory(need)} of GPU memory"
    )
    assert fits_cell(window, QWEN, Qt.ItemDataRole.DecorationRole) is not None

    plan(window, qtbot, 64 * GIB, need - 1)
    assert fits_cell(window, QWEN) == "fits RAM"
    assert fits_cell(window, QWEN, TOOLTIP).startswith(f"Fits in RAM: needs {shown}; fits the")

    plan(window, qtbot, need, 0)
    assert fits_cell(window, QWEN) == "fits RAM"
    assert "(runs on the CPU)" in fits_cell(window, QWEN, TOOLTIP)

    plan(window, qtbot, need - 1, 0)
    assert fits_cell(window, QWEN) == "too large"
    assert fits_cell(window, QWEN, TOOLTIP) == (
        f"Too large for this computer: needs {shown}; this computer has "
        f"{format_memory(need - 1)} of RAM"
    )
    # The list agrees with the core for every model, and says why when it cannot tell.
    machine = pro.machine_info(ram=need - 1, vram=0)
    for model_id, row in pro.fits_for_rows(machine=machine).items():
        assert row.total_bytes is not None
        reason = fit_reason(row.verdict, row.total_bytes, machine)
        assert fits_cell(window, model_id, TOOLTIP).endswith(reason)
    assert fits_cell(window, "layoutlmv3") == "unknown"
    assert "Check memory needs" in fits_cell(window, "layoutlmv3", TOOLTIP)
    header = window.catalog_model.headerData(FITS, Qt.Orientation.Horizontal, TOOLTIP)
    assert header == (
        f"Will it run on a planned computer: {format_memory(need - 1)} of RAM, no GPU memory"
    )
    assert "a planned computer" in window.filters.fit_machine.text()


def test_only_models_that_fit_hides_the_others(open_window, pro, qtbot):
    window = open_window(pro)
    llama = total_at(pro, "llama-3-8b", ram=64 * GIB, vram=0)
    plan(window, qtbot, llama, 0)
    assert len(names(window)) == 6
    click_box(qtbot, window.filters.fits_only)
    # phi-4 is too large; layoutlmv3 and table-transformer have no known needs.
    assert names(window) == {"llama-3-8b", QWEN, "got-ocr-2"}
    assert window.status.count_label.text() == "3 of 6 models"

    plan(window, qtbot, llama - 1, 0)  # the list follows a new plan with the filter on
    assert names(window) == {QWEN, "got-ocr-2"}
    qtbot.keyClicks(window.filters.search, "qwen")
    assert names(window) == {QWEN}
    window.filters.reset()
    assert not window.filters.fits_only.isChecked()
    assert len(names(window)) == 6


def test_detail_numbers_are_the_cores_estimate(open_window, pro, qtbot):
    window = open_window(pro)
    plan(window, qtbot, 16 * GIB, 4 * GIB)
    select(window, qtbot, "llama-3-8b")
    report = pro.fit("llama-3-8b", machine=pro.machine_info(ram=16 * GIB, vram=4 * GIB))
    estimate = report.estimate
    assert estimate is not None and estimate.context_length == 8192
    panel = window.detail.fit
    assert panel.verdict is report.verdict is FitVerdict.FITS_RAM
    assert panel.reason.text() == report.reason
    assert panel.values["weights"].text() == format_memory(estimate.weights_bytes)
    assert panel.values["kv"].text() == f"{format_memory(estimate.kv_cache_bytes)} at 8,192 tokens"
    assert panel.values["overhead"].text().startswith(format_memory(estimate.overhead_bytes))
    assert panel.values["total"].text() == format_memory(estimate.total_bytes)
    assert panel.values["ram"].text() == "16 GiB"
    assert panel.values["gpu"].text() == "4 GiB"
    assert panel.values["machine"].text().startswith("a planned computer")
    assert panel.values["disk"].text() == report.disk_reason
    assert panel.check_button.isHidden()  # the catalog's facts are enough
    assert window.detail.fit.summary.text() == "Fits in RAM"
    assert "Fits in RAM" in window.detail.plain_text()
    assert f"Total: {format_memory(estimate.total_bytes)}" in window.detail.plain_text()

    # A safetensors model: weights and the activation margin, no KV cache.
    select(window, qtbot, "got-ocr-2")
    report = pro.fit("got-ocr-2", machine=pro.machine_info(ram=16 * GIB, vram=4 * GIB))
    assert report.estimate is not None
    assert panel.values["kv"].isHidden()
    assert panel._labels["overhead"].text() == "Activations"
    assert panel.values["total"].text() == format_memory(report.estimate.total_bytes)


def test_context_edits_update_the_estimate_and_saving_too_much_asks_first(open_window, pro, qtbot):
    window = open_window(pro)
    fits_at_16k = total_at(pro, QWEN, context=16384, ram=64 * GIB, vram=0)
    plan(window, qtbot, fits_at_16k, 0)  # 16k tokens fit, the stored 32k do not
    select(window, qtbot, QWEN)
    window.detail.tabs.setCurrentWidget(window.detail.usage_tab)
    panel, form = window.detail.fit, window.detail.parameters
    assert panel.verdict is FitVerdict.TOO_LARGE
    machine = pro.machine_info(ram=fits_at_16k, vram=0)
    questions: list[str] = []
    answers: list[bool] = []

    def confirm(question: str) -> bool:
        questions.append(question)
        return answers.pop(0)

    window.confirm = confirm

    form.boxes["context_length"].setValue(16384)  # live: no save, no request
    at_16k = pro.fit(QWEN, context=16384, machine=machine).estimate
    assert panel.verdict is FitVerdict.FITS_RAM
    assert panel.values["kv"].text() == f"{format_memory(at_16k.kv_cache_bytes)} at 16,384 tokens"
    assert panel.values["total"].text() == format_memory(at_16k.total_bytes)
    assert pro.model_parameters(QWEN)["context_length"] == 32768

    actions = window.fit_actions
    with qtbot.waitSignals([actions.fits_changed, actions.report_shown], timeout=15000):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert questions == []  # it fits: nothing to ask
    assert pro.model_parameters(QWEN)["context_length"] == 16384
    assert fits_cell(window, QWEN) == "fits RAM"  # the list judges at the saved context

    form.boxes["context_length"].setValue(32768)
    assert panel.verdict is FitVerdict.TOO_LARGE
    assert panel.values["kv"].text().endswith("at 32,768 tokens")
    answers.append(False)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert len(questions) == 1
    assert "context length 32,768" in questions[0] and "no longer fits" in questions[0]
    assert "Save these parameters anyway?" in questions[0]
    assert form.error_text.startswith("Not saved")
    assert pro.model_parameters(QWEN)["context_length"] == 16384
    assert form.boxes["context_length"].value() == 32768  # the edit is kept to change

    answers.append(True)
    with qtbot.waitSignal(window.fit_actions.fits_changed, timeout=15000):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert len(questions) == 2
    assert pro.model_parameters(QWEN)["context_length"] == 32768
    assert fits_cell(window, QWEN) == "too large"


def test_a_saved_context_survives_a_slower_full_refresh(open_window, pro, qtbot, monkeypatch):
    """A full refresh that read the database before a save ends after the save's own
    update: the list keeps the saved verdict."""
    window = open_window(pro)
    fits_at_16k = total_at(pro, QWEN, context=16384, ram=64 * GIB, vram=0)
    plan(window, qtbot, fits_at_16k, 0)
    assert fits_cell(window, QWEN) == "too large"  # at the catalog's 32k tokens
    select(window, qtbot, QWEN)
    read, release = threading.Event(), threading.Event()
    everything = pro.fits_for_rows

    def slow_full_read(model_ids=None, machine=None):
        result = everything(model_ids, machine)
        if model_ids is None:  # the whole list: read now, answer late
            read.set()
            release.wait(30)
        return result

    monkeypatch.setattr(pro, "fits_for_rows", slow_full_read)
    try:
        window.fit_actions.refresh_fits()
        qtbot.waitUntil(read.is_set, timeout=15000)
        form = window.detail.parameters
        form.boxes["context_length"].setValue(16384)
        with qtbot.waitSignal(window.fit_actions.fits_changed, timeout=15000):
            qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        assert fits_cell(window, QWEN) == "fits RAM"
    finally:
        release.set()
    with qtbot.waitSignal(window.fit_actions.fits_changed, timeout=15000):
        pass  # the full refresh lands
    assert fits_cell(window, QWEN) == "fits RAM"
    assert pro.model_parameters(QWEN)["context_length"] == 16384


def test_gpu_layers_split_the_estimate_live(open_window, pro, qtbot):
    window = open_window(pro)
    plan(window, qtbot, 64 * GIB, 2 * GIB)
    select(window, qtbot, QWEN)
    panel, form = window.detail.fit, window.detail.parameters
    assert panel.values["on_gpu"].isHidden()
    form.add_box.activated.emit(form.add_box.findData("gpu_layers"))
    machine = pro.machine_info(ram=64 * GIB, vram=2 * GIB)
    report = pro.fit(QWEN, machine=machine)
    assert report.estimate is not None and report.facts is not None
    for layers in (28, 14, 0):
        form.boxes["gpu_layers"].setValue(layers)
        core = pro.fit(QWEN, machine=machine, gpu_layers=layers)
        assert (panel.verdict, panel.reason.text()) == (core.verdict, core.reason)
        share = gpu_share(report.estimate, layers, report.facts.block_count)
        assert panel.values["on_gpu"].text() == (
            f"{format_memory(share)} with gpu_layers {layers} of 28"
        )
    assert pro.fit(QWEN, machine=machine, gpu_layers=28).verdict is FitVerdict.TOO_LARGE


def test_a_saved_gpu_layers_gives_the_list_the_detail_pane_s_verdict(open_window, pro, qtbot):
    pro.set_model_parameters(QWEN, {"gpu_layers": 28})
    window = open_window(pro)
    plan(window, qtbot, 64 * GIB, 2 * GIB)
    select(window, qtbot, QWEN)
    panel = window.detail.fit
    assert panel.verdict is FitVerdict.TOO_LARGE  # all 28 layers do not fit 2 GiB
    assert fits_cell(window, QWEN) == "too large"
    assert fits_cell(window, QWEN, TOOLTIP) == (
        f"Too large for this computer: {panel.reason.text()}"
    )
    assert "lower gpu_layers" in panel.reason.text()


def test_plan_dialog_overrides_and_goes_back_to_this_computer(open_window, pro, qtbot):
    window = open_window(pro)
    actions = window.fit_actions
    qtbot.waitUntil(lambda: actions.machine is not None, timeout=15000)
    detected = pro.machine_info()
    [menu_action] = [
        a
        for menu in window.menuBar().actions()
        for a in menu.menu().actions()
        if a.text() == "Plan for another &computer…"
    ]
    menu_action.trigger()
    dialog = actions.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: "measuring" not in dialog.detected_text(), timeout=15000)
    assert f"RAM: {format_memory(detected.total_ram)}" in dialog.detected_text()
    assert dialog.this_computer.isChecked() and dialog.ok_button.isEnabled()

    dialog.other_computer.setChecked(True)
    assert not dialog.ok_button.isEnabled()  # nothing given yet
    dialog.ram_given.setChecked(True)
    dialog.ram.setValue(2)
    dialog.vram_given.setChecked(True)
    dialog.vram.setValue(0)
    with qtbot.waitSignal(actions.fits_changed, timeout=15000):
        dialog.accept()
    assert actions.plan == (2 * GIB, 0)
    assert actions.machine is not None and actions.machine.total_ram == 2 * GIB
    assert window.filters.fit_machine.text().startswith(
        "Against a planned computer: 2 GiB of RAM, no GPU memory."
    )
    assert fits_cell(window, "llama-3-8b") == "too large"

    actions.plan_dialog()  # opens on the current plan; "Measure again" keeps it
    assert dialog.other_computer.isChecked() and dialog.ram.value() == 2
    with qtbot.waitSignal(actions.fits_changed, timeout=15000):
        qtbot.mouseClick(dialog.refresh_button, Qt.MouseButton.LeftButton)
    assert actions.plan == (2 * GIB, 0)
    dialog.this_computer.setChecked(True)
    with qtbot.waitSignal(actions.fits_changed, timeout=15000):
        dialog.accept()
    assert actions.plan == (None, None)
    assert actions.machine is not None and not actions.machine.overridden
    assert window.filters.fit_machine.text().startswith("Against this computer: ")


# ---- reading the facts on demand ---------------------------------------------------------


@pytest.fixture
def hub():
    server = HubServer()
    yield server
    server.close()
    # huggingface_hub keeps its metadata connections open for the next call; close them
    # so the server's request threads end with the test.
    huggingface_hub.close_session()
    for thread in threading.enumerate():
        if thread.name.endswith("(process_request_thread)"):
            thread.join(10)


@pytest.fixture
def hub_registry(hub, tier_registry, monkeypatch, tmp_path) -> tuple[Registry, int]:
    """The shipped catalog plus a GGUF on the test Hub whose facts nobody has read yet."""
    path, weights = write_llm_gguf(tmp_path / "m.gguf", vocab_size=20_000, **SHAPE)
    data = path.read_bytes()
    hub.add_repo("test/llm-GGUF", REVISION, {"model.gguf": data})
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    registry = tier_registry(Tier.PROFESSIONAL)
    import_entries(
        registry,
        hub_entry("tiny-llm", "test/llm-GGUF", {"model.gguf": data}, model_type="llm"),
        hub_entry("missing-llm", "test/not-there", {"model.gguf": data}, model_type="llm"),
    )
    return registry, weights


def hold_downloads(hub: HubServer, monkeypatch) -> tuple[threading.Event, threading.Event]:
    """Hold every file the Hub's CDN serves until the test lets go."""
    arrived, release = threading.Event(), threading.Event()
    serve = hub.cdn.serve_blob

    def held(handler, name, extra_headers=None):
        arrived.set()
        release.wait(60)
        serve(handler, name, extra_headers)

    monkeypatch.setattr(hub.cdn, "serve_blob", held)
    return arrived, release


def test_check_memory_needs_reads_the_header_while_the_window_stays_live(
    open_window, hub, hub_registry, qtbot, monkeypatch
):
    registry, weights = hub_registry
    window = open_window(registry)
    plan(window, qtbot, 8 * GIB, 0)
    assert fits_cell(window, "tiny-llm") == "unknown"
    select(window, qtbot, "tiny-llm")
    window.detail.tabs.setCurrentWidget(window.detail.usage_tab)
    panel = window.detail.fit
    assert panel.verdict is FitVerdict.UNKNOWN and not panel.check_button.isHidden()

    arrived, release = hold_downloads(hub, monkeypatch)
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(1))
    try:
        qtbot.mouseClick(panel.check_button, Qt.MouseButton.LeftButton)
        assert not panel.busy.isHidden() and not panel.check_button.isEnabled()
        qtbot.waitUntil(arrived.is_set, timeout=15000)
        # The header read is stuck on the server: the window still answers.
        timer.start()
        qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=15000)
        select(window, qtbot, QWEN)
        assert panel.verdict is FitVerdict.FITS_RAM
        select(window, qtbot, "tiny-llm")
        assert not panel.busy.isHidden()  # still reading, and it says so
        assert "Reading the model's header" in panel.reason.text()
    finally:
        timer.stop()
        release.set()
    qtbot.waitUntil(
        lambda: panel.report is not None and panel.report.estimate is not None, timeout=30000
    )
    assert panel.busy.isHidden() and panel.check_button.isHidden()
    facts = panel.report.facts
    assert facts is not None
    assert (facts.block_count, facts.head_count, facts.head_count_kv) == (12, 8, 2)
    assert (facts.context_length, facts.weight_bytes) == (4096, weights)
    kv = kv_cache_bytes(block_count=12, context=4096, head_count_kv=2, head_dim=256 // 8)
    assert panel.values["kv"].text() == f"{format_memory(kv)} at 4,096 tokens"
    core = registry.fit("tiny-llm", machine=registry.machine_info(ram=8 * GIB, vram=0))
    assert core.estimate is not None
    assert panel.values["total"].text() == format_memory(core.estimate.total_bytes)
    qtbot.waitUntil(lambda: fits_cell(window, "tiny-llm") == "fits RAM", timeout=15000)
    assert not list(registry.models_dir.rglob("model.gguf*"))  # nothing was downloaded


def test_a_failed_check_says_why_and_stores_nothing(open_window, hub_registry, qtbot):
    registry, _weights = hub_registry
    window = open_window(registry)
    select(window, qtbot, "missing-llm")
    panel = window.detail.fit
    qtbot.mouseClick(panel.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.problem.isHidden(), timeout=30000)
    assert panel.busy.isHidden() and panel.check_button.isEnabled()
    assert "Traceback" not in panel.problem.text() and panel.problem.text()
    assert window.last_message.startswith("Could not check the memory needs of missing-llm: ")
    assert panel.verdict is FitVerdict.UNKNOWN
    assert registry.model_facts("missing-llm", fetch=False) is None


# ---- the item model on its own -------------------------------------------------------------


def test_catalog_model_with_fits_passes_modeltester(qtmodeltester):
    model = CatalogTableModel()
    model.set_rows(make_rows(40), Tier.PROFESSIONAL)
    qtmodeltester.check(model)
    verdicts = list(FitVerdict)
    fits = {
        f"m{i}": FitRow(verdict, None if verdict is FitVerdict.UNKNOWN else i * GIB, "why")
        for i in range(0, 40, 2)
        for verdict in [verdicts[i // 2 % 4]]
    }
    machine = MachineInfo(total_ram=16 * GIB, available_ram=8 * GIB)
    model.set_fits(fits, machine)
    qtmodeltester.check(model)
    model.sort(FITS, Qt.SortOrder.AscendingOrder)
    qtmodeltester.check(model)
    ranks = [model.fit_of(model.row_at(r).id).verdict for r in range(model.rowCount())]
    assert ranks[0] is FitVerdict.FITS_GPU and ranks[-1] is FitVerdict.UNKNOWN
    model.set_filter(FilterSpec(fits_only=True))
    qtmodeltester.check(model)
    shown = {model.row_at(r).id for r in range(model.rowCount())}
    assert shown == {m for m, f in fits.items() if f.verdict in ("fits_gpu", "fits_ram")}
    model.set_fits({}, machine)  # nothing fits
    qtmodeltester.check(model)
    assert model.rowCount() == 0
    model.set_filter(FilterSpec(text="model 00"))
    assert model.index(0, FITS).data() == "unknown"
    assert model.index(0, FITS).data(TOOLTIP).startswith("Memory needs unknown: its facts")
    assert model.index(0, NAME).data(TOOLTIP) == "Model 000\nm0"  # other columns as before
