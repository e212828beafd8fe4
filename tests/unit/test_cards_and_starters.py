"""Model cards (a length-limited Markdown field of the manifest, stored and read on its
own) and the starter model per task (one rule, in registry/starters.py)."""

import json

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.errors import InvalidManifestError
from clary_desktop.paths import AppPaths
from clary_desktop.registry.default_catalog import default_catalog_file
from clary_desktop.registry.manifest import MAX_CARD_CHARS, parse_manifest
from tests.support.manifests import model_entry, url_version, write_manifest


def test_the_shipped_catalog_gives_every_model_a_card_for_users(registry: Registry) -> None:
    shipped = json.loads(default_catalog_file().read_text())["models"]
    for entry in shipped:
        card = registry.model_card(entry["id"])
        assert card is not None and "## License" in card, entry["id"]
        # Notes for maintainers live in resources/catalog/README.md, not in what users read.
        for text in (card, entry["description"]):
            assert "seed" not in text.lower() and "does not exist" not in text, entry["id"]


def test_a_card_is_optional_and_length_limited(tmp_path, registry: Registry) -> None:
    manifest = write_manifest(
        tmp_path / "m.json",
        [model_entry("with-card", card="# Hello\n\nFor **tests**."), model_entry("no-card")],
    )
    registry.import_catalog(manifest)
    assert registry.model_card("with-card") == "# Hello\n\nFor **tests**."
    assert registry.model_card("no-card") is None

    too_long = write_manifest(
        tmp_path / "long.json", [model_entry("long-card", card="x" * (MAX_CARD_CHARS + 1))]
    )
    with pytest.raises(InvalidManifestError, match=r"entry 1 \('long-card'\), field card: "):
        registry.import_catalog(too_long)
    assert registry.model_card("with-card") == "# Hello\n\nFor **tests**."  # nothing lost
    with pytest.raises(InvalidManifestError, match="field card"):
        parse_manifest({"models": [model_entry("empty-card", card="")]}, "test")


def _sized(model_id: str, size: int, **fields: object) -> dict:
    return model_entry(
        model_id,
        versions=[url_version("1.0", f"https://models.example/{model_id}.gguf", size=size)],
        **fields,
    )


def _starters(paths: AppPaths, tier: Tier, tmp_path) -> dict[str, str]:
    registry = Registry.open(paths, tier_source=lambda: tier, load_default_catalog=False)
    try:
        registry.import_catalog(
            write_manifest(
                tmp_path / "starters.json",
                [
                    _sized("big-lite", 5000, recommended=True),
                    _sized("small-lite", 1000, recommended=True),
                    _sized("tiny-unflagged", 10),
                    _sized("pro-pick", 9000, tier="professional", recommended=True),
                    _sized("ocr-small", 300, model_type="ocr"),
                    _sized("ocr-large", 900, model_type="ocr"),
                ],
            )
        )
        return {m.type: m.id for m in registry.starter_models()}
    finally:
        registry.close()


def test_the_starter_is_the_recommended_model_of_the_best_tier_the_user_has(
    paths: AppPaths, tmp_path
) -> None:
    # Lite: of the recommended lite models, the smaller; a task with no pick: its smallest.
    assert _starters(paths, Tier.LITE, tmp_path) == {"llm": "small-lite", "ocr": "ocr-small"}
    # Professional: the professional pick is what the license pays for.
    assert _starters(paths, Tier.PROFESSIONAL, tmp_path) == {"llm": "pro-pick", "ocr": "ocr-small"}


def test_the_shipped_catalog_recommends_one_model_per_task_per_tier(paths: AppPaths) -> None:
    picks = {}
    for tier in Tier:
        registry = Registry.open(paths, tier_source=lambda t=tier: t)
        try:
            starters = registry.starter_models()
        finally:
            registry.close()
        assert all(not m.locked and m.recommended for m in starters)
        picks[tier] = {m.type: m.id for m in starters}
    assert picks[Tier.LITE] == {
        "layout": "layoutlmv3",
        "llm": "qwen2.5-1.5b-instruct",
        "ocr": "got-ocr-2",
    }
    assert picks[Tier.PROFESSIONAL]["llm"] == "llama-3-8b"
