"""Small steps the GUI tests share."""

from __future__ import annotations

from typing import Any


def select(window: Any, qtbot: Any, model_id: str) -> None:
    """Select `model_id` in the list and wait until the detail pane shows it."""
    with qtbot.waitSignal(
        window.details_shown, timeout=10000, check_params_cb=lambda shown: shown == model_id
    ):
        assert window.select_model(model_id)
