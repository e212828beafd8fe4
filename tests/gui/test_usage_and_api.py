"""Issue 8 in the window: "Use for", the parameters form, performance figures (with runs
reported through the local API), the Usage view, API keys, and the API inside the window
sharing the window's Registry (a download started through the API shows in the queue)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import Qt

from clary_desktop.app import Registry
from clary_desktop.db.tables import Installation
from clary_desktop.domain.access import Tier
from clary_desktop.domain.pipeline_values import RunReport
from clary_desktop.gui.dialogs.api_keys_dialog import ApiKeysDialog
from clary_desktop.gui.dialogs.settings_dialog import SettingsDialog
from clary_desktop.gui.dialogs.usage_dialog import UsageDialog
from clary_desktop.gui.models.api_keys_model import ApiKeysTableModel
from clary_desktop.gui.models.usage_model import PATH, UsageTableModel, with_unset_tasks
from clary_desktop.settings import load_settings
from tests.gui.window_helpers import select
from tests.support.download_env import import_entries, url_entry, use_fast_manager
from tests.support.fault_server import BlobServer, random_bytes
from tests.support.gguf_files import write_gguf

DATA = random_bytes(2 * 1024 * 1024, seed=11)


def llm_entry(model_id: str, tier: str = "lite") -> dict:
    return {
        "id": model_id,
        "name": f"Tiny {model_id}",
        "type": "llm",
        "tier": tier,
        "parameters": {"context_length": 2048, "batch_size": 256, "architecture": "llama"},
        "versions": [
            {
                "version": "1.0",
                "files": [
                    {"path": "tiny.gguf", "url": f"https://files.example/{model_id}/tiny.gguf"}
                ],
            }
        ],
    }


def install(registry: Registry, model_id: str, tmp: Path) -> Path:
    """Put a real GGUF where an install lives and record it, as the engine does."""
    model = registry.get_model(model_id)
    folder = registry.models_dir / model.type / model_id / model.version
    write_gguf(folder / "tiny.gguf", context_length=2048)
    with registry.db.write() as session:
        session.add(
            Installation(
                model_id=model_id,
                version=model.version,
                path=str(folder),
                size_bytes=None,
                installed_at=datetime.now(UTC),
                active=True,
                verify_seconds=0.25,
            )
        )
    return folder


@pytest.fixture
def usage_registry(paths, tmp_path):
    registry = Registry.open(paths, tier_source=lambda: Tier.STANDARD)
    import_entries(
        registry,
        llm_entry("tiny-a"),
        llm_entry("tiny-b"),
        llm_entry("tiny-pro", tier="professional"),
    )
    install(registry, "tiny-a", tmp_path)
    install(registry, "tiny-b", tmp_path)
    yield registry
    registry.close()


def test_use_for_makes_the_model_the_default_of_its_task(open_window, usage_registry, qtbot):
    window = open_window(usage_registry)
    select(window, qtbot, "tiny-a")
    use_for = window.detail.use_for
    assert use_for.button.text() == "Use for llm"
    assert use_for.button.isEnabled()
    assert "No model is selected for the llm task" in use_for.state.text()
    qtbot.mouseClick(use_for.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Default model for: llm" in use_for.state.text(), timeout=10000)
    assert not use_for.button.isEnabled()
    assert usage_registry.usage_for("llm").model_id == "tiny-a"

    select(window, qtbot, "tiny-b")
    assert "The llm task uses Tiny tiny-a." in use_for.state.text()
    assert use_for.button.isEnabled()

    window.usage_actions.usage_view()
    dialog = window.findChild(UsageDialog)
    # Every task the catalog has models for; those with no model say "not set".
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 3, timeout=10000)
    rows = [[dialog.model.index(r, c).data() for c in range(4)] for r in range(3)]
    assert [r[0] for r in rows] == ["layout", "llm", "ocr"]
    assert rows[0][1] == rows[2][1] == "not set"
    assert rows[0][3] == "Choose one with “Use for layout” in a model's Usage tab"
    assert rows[1][PATH].endswith("1.0")
    qtbot.mouseClick(use_for.button, Qt.MouseButton.LeftButton)  # the view follows
    qtbot.waitUntil(lambda: "tiny-b" in (dialog.model.index(1, 1).data() or ""), timeout=10000)
    dialog.close()


def test_a_model_not_installed_or_locked_cannot_be_used(open_window, usage_registry, qtbot):
    window = open_window(usage_registry)
    window.filters.show_locked.setChecked(True)
    select(window, qtbot, "tiny-pro")
    assert not window.detail.use_for.button.isEnabled()
    assert "Professional" in window.detail.use_for.state.text()
    select(window, qtbot, "qwen2.5-1.5b-instruct")
    assert not window.detail.use_for.button.isEnabled()
    assert "Download the model" in window.detail.use_for.state.text()


def test_parameters_are_validated_by_the_core(open_window, usage_registry, qtbot):
    window = open_window(usage_registry)
    select(window, qtbot, "tiny-a")
    form = window.detail.parameters
    assert set(form.boxes) == {"context_length", "batch_size"}
    assert form.boxes["context_length"].value() == 2048
    assert "architecture: llama" in form.facts_label.text()

    # The field stops at the GGUF header's maximum; the core refuses what the field cannot.
    assert form.boxes["context_length"].maximum() == 2048
    form.boxes["context_length"].setValue(4096)
    assert form.boxes["context_length"].value() == 2048
    form.boxes["batch_size"].setValue(4000)  # more than the context length
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.error_text != "", timeout=10000)
    assert form.error_text == (
        "Batch size of Tiny tiny-a is 4000, more than the context length 2048."
    )
    assert form.invalid_fields() == ["batch_size"]
    assert usage_registry.model_parameters("tiny-a")["batch_size"] == 256
    form.boxes["batch_size"].setValue(256)

    form.boxes["context_length"].setValue(1024)
    form.add_box.activated.emit(form.add_box.findData("temperature"))
    assert "temperature" in form.boxes
    form.boxes["temperature"].setValue(0.7)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.error_text == "Saved.", timeout=10000)
    stored = usage_registry.model_parameters("tiny-a")
    assert stored["context_length"] == 1024 and stored["temperature"] == pytest.approx(0.7)

    form.boxes["batch_size"].setValue(999)  # unsaved edit; Reset brings the stored values
    qtbot.mouseClick(form.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.error_text.startswith("Back to"), timeout=10000)
    assert form.boxes["batch_size"].value() == stored["batch_size"]


def test_recorded_runs_show_in_the_performance_tab(open_window, usage_registry, qtbot):
    for latency in (100.0, 200.0, 300.0, 400.0):
        usage_registry.record_run("tiny-a", RunReport(latency_ms=latency, throughput=20.0))
    usage_registry.record_run("tiny-a", RunReport(latency_ms=50.0, success=False))
    window = open_window(usage_registry)
    select(window, qtbot, "tiny-a")
    perf = window.detail.performance
    assert perf.values["runs"].text() == "5"
    assert perf.values["failures"].text() == "1"
    assert perf.values["median"].text() == "250 ms"
    assert perf.values["p95"].text() == "400 ms"
    assert perf.values["throughput"].text() == "20.0/s"
    assert perf.values["architecture"].text() == "llama"
    assert perf.values["quantization"].text() == "Q4_K_M"
    assert perf.values["context"].text() == "2,048 tokens"
    assert perf.values["verify"].text().startswith("not yet")  # installed, never verified
    assert perf.chart.runs[-1] == (50.0, False) and len(perf.chart.runs) == 5
    window.detail.tabs.setCurrentWidget(window.detail.performance_tab)
    perf.chart.grab()  # paints without a warning

    # A run reported later shows without selecting the model again (periodic refresh).
    window.usage_actions.perf_timer.setInterval(100)
    usage_registry.record_run("tiny-a", RunReport(latency_ms=1000.0))
    qtbot.waitUntil(lambda: perf.values["runs"].text() == "6", timeout=10000)
    assert perf.values["median"].text() == "300 ms"


def test_new_item_models_pass_modeltester(qtmodeltester, usage_registry):
    usage_registry.use_model("llm", "tiny-a")
    usage = UsageTableModel()
    qtmodeltester.check(usage)
    usage.set_usages([*usage_registry.usages(), ("ocr", "Model 'x' is no longer installed.")])
    qtmodeltester.check(usage)
    assert usage.rowCount() == 2
    usage.set_usages(with_unset_tasks(usage_registry.usages(), ["layout", "llm"]))
    qtmodeltester.check(usage)
    assert usage.index(0, 1).data() == "not set"
    keys = ApiKeysTableModel()
    qtmodeltester.check(keys)
    usage_registry.api_keys.create("one")
    usage_registry.api_keys.create("two")
    usage_registry.api_keys.revoke("two")
    keys.set_keys(usage_registry.api_keys.list())
    qtmodeltester.check(keys)
    assert keys.index(1, 4).data().startswith("revoked")


def test_api_keys_dialog_creates_shows_once_and_revokes(open_window, usage_registry, qtbot):
    window = open_window(usage_registry)
    window.api_actions.api_keys_dialog()
    dialog = window.findChild(ApiKeysDialog)
    assert "is off" in dialog.api_state.text()
    dialog.name.setText("bad name!")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog), timeout=10000)
    assert "must start with a letter or digit" in dialog.error.text()

    dialog.name.setText("pipeline")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=10000)
    secret = dialog.secret.text()
    assert secret.startswith("clary_") and dialog.secret.isReadOnly()
    assert usage_registry.api_keys.authenticate(secret) is not None
    qtbot.mouseClick(
        dialog.findChild(type(dialog.create_button), "copyApiKey"), Qt.MouseButton.LeftButton
    )
    assert dialog.model.index(0, 4).data() == "active"

    dialog.view.selectRow(0)
    assert dialog.revoke_button.isEnabled()
    qtbot.mouseClick(dialog.revoke_button, Qt.MouseButton.LeftButton)  # confirm answers yes
    qtbot.waitUntil(lambda: dialog.model.index(0, 4).data().startswith("revoked"), timeout=10000)
    assert usage_registry.api_keys.authenticate(secret) is None
    dialog.close()


def test_settings_turn_the_api_on_and_warn_about_other_addresses(
    open_window, usage_registry, paths, qtbot
):
    window = open_window(usage_registry)
    window.settings_actions.settings_dialog()
    dialog = window.findChild(SettingsDialog)
    assert dialog.api_host.text() == "127.0.0.1" and dialog.api_port.value() == 8765
    assert dialog.api_warning.isHidden()
    dialog.api_enabled.setChecked(True)
    dialog.api_host.setText("0.0.0.0")
    assert not dialog.api_warning.isHidden()
    dialog.api_host.setText("127.0.0.1")
    assert dialog.api_warning.isHidden()
    with socket.socket() as probe:  # a port free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dialog.api_port.setValue(port)
    with qtbot.waitSignal(window.message_shown, timeout=10000):
        dialog.accept()
    saved = load_settings(paths.settings_file)
    assert saved.api_enabled and saved.api_host == "127.0.0.1" and saved.api_port == port
    qtbot.waitUntil(lambda: "The local API listens on" in window.last_message, timeout=10000)
    assert window.status.api_label.text() == f"API 127.0.0.1:{port}"
    answer = requests.get(f"http://127.0.0.1:{port}/api/v1/models", timeout=10)
    assert answer.status_code == 401  # no key

    window.settings_actions.save_settings(saved.model_copy(update={"api_enabled": False}))
    qtbot.waitUntil(lambda: window.last_message == "The local API is stopped.", timeout=10000)
    assert window.status.api_label.isHidden()


@pytest.fixture
def blob_server():
    with BlobServer(throttle=4 * 1024 * 1024) as server:
        server.add("a", DATA)
        yield server


@pytest.fixture
def api_registry(paths, blob_server):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    import_entries(
        registry,
        url_entry("api-a", {"m.gguf": (blob_server.url("a"), DATA)}),
        url_entry("api-pro", {"m.gguf": (blob_server.url("a"), DATA)}, tier="professional"),
    )
    use_fast_manager(registry)
    registry.apply_settings(
        registry.stored_settings.model_copy(update={"api_enabled": True, "api_port": 0})
    )
    yield registry
    registry.close()


def test_a_download_started_through_the_api_shows_in_the_queue(open_window, api_registry, qtbot):
    window = open_window(api_registry)
    qtbot.waitUntil(lambda: window.status.api_label.text().startswith("API "), timeout=10000)
    url = window.api_actions.runner.url
    assert window.status.api_label.text() == f"API {url.removeprefix('http://')}"
    _, key = api_registry.api_keys.create("pipeline")
    headers = {"X-API-Key": key}

    assert (
        requests.post(
            f"{url}/api/v1/models/api-pro/download", headers=headers, timeout=10
        ).status_code
        == 403
    )
    answer = requests.post(f"{url}/api/v1/models/api-a/download", headers=headers, timeout=10)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job_id"]
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 1, timeout=10000)
    assert window.queue_model.job_at(0).job_id == job_id
    assert window.queue_model.job_at(0).model_id == "api-a"
    qtbot.waitUntil(lambda: window.queue_model.job_at(0).state == "completed", timeout=20000)

    # The pipeline reports runs; the detail pane shows them.
    window.usage_actions.perf_timer.setInterval(100)
    select(window, qtbot, "api-a")
    for latency in (40.0, 60.0):
        sent = requests.post(
            f"{url}/api/v1/models/api-a/metrics",
            headers=headers,
            json={"latency_ms": latency, "throughput": 12.5},
            timeout=10,
        )
        assert sent.status_code == 201, sent.text
    perf = window.detail.performance
    qtbot.waitUntil(lambda: perf.values["runs"].text() == "2", timeout=10000)
    assert perf.values["median"].text() == "50 ms"
    assert perf.values["size"].text() != "not installed"
