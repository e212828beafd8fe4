"""The window words a core error's hint as its own menu item or button, never as a
`clary-models` command; the error changes nothing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from clary_desktop.domain.access import Tier
from tests.support.manifests import model_entry, write_manifest

LITE_MODEL = "qwen2.5-1.5b-instruct"  # in the shipped catalog, not installed


def shown_error(window, qtbot, what: str, start) -> str:  # type: ignore[no-untyped-def]
    """Run `start()`, wait for the error of the task `what` names, return the dialog's text."""
    with qtbot.waitSignal(
        window.message_shown,
        timeout=15000,
        check_params_cb=lambda text: text.startswith(f"{what}: "),
    ):
        start()
    boxes = [b for b in window.findChildren(QMessageBox) if b.objectName() == "errorBox"]
    assert boxes, window.last_message
    text = boxes[-1].text()
    for box in boxes:
        box.close()
    assert text == window.last_message
    assert "clary-models" not in text and "`" not in text and "--allow" not in text
    return text


def model_ids(window) -> set[str]:  # type: ignore[no-untyped-def]
    return {m.id for m in window.registry.list_models(tier="professional")}


def test_an_unsigned_catalog_file_points_to_the_sync_dialogs_checkbox(
    open_window, tier_registry, qtbot, tmp_path: Path
) -> None:
    window = open_window(tier_registry(Tier.LITE))
    plain = write_manifest(tmp_path / "ours.json", [model_entry("our-model")])
    before = model_ids(window)

    text = shown_error(
        window, qtbot, "Sync catalog", lambda: window.catalog_actions.sync_catalog(str(plain))
    )
    assert text == (
        f"Sync catalog: {plain}: the catalog is not signed. If you trust this file, accept it "
        "as unsigned. Tick “Accept an unsigned file” in Tools > Sync catalog…."
    )
    assert model_ids(window) == before

    # The checkbox the hint names does what it says.
    with qtbot.waitSignal(window.catalog_loaded, timeout=15000):
        window.catalog_actions.sync_catalog(str(plain), True)
    qtbot.waitUntil(lambda: "our-model" in model_ids(window), timeout=15000)


def test_a_model_that_is_not_installed_points_to_its_download_button(
    open_window, tier_registry, qtbot
) -> None:
    window = open_window(tier_registry(Tier.LITE))
    text = shown_error(
        window, qtbot, "Use for llm", lambda: window.usage_actions.use_model("llm", LITE_MODEL)
    )
    assert text == (
        f"Use for llm: Model '{LITE_MODEL}' is not installed. Download it first. "
        "Use Download in the model's details."
    )
    assert window.registry.usages() == []


def test_a_model_missing_from_the_cache_points_to_the_file_menu(
    open_window, tier_registry, qtbot, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    window = open_window(tier_registry(Tier.LITE))
    text = shown_error(
        window,
        qtbot,
        "Install from the Hugging Face cache",
        lambda: window.storage_actions.link_hf_cache("layoutlmv3"),
    )
    assert text.startswith("Install from the Hugging Face cache: The Hugging Face cache (")
    assert text.endswith(
        "holds no complete copy of layoutlmv3. "
        "File > Install from the Hugging Face cache… lists what it holds."
    )
    assert window.registry.check_access("layoutlmv3").installed_version is None
