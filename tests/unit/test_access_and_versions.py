import pytest

from clary_desktop.domain.access import ModelAccessControl, Tier
from clary_desktop.domain.version_order import (
    newest,
    rollback_target,
    sort_versions,
    version_key,
    versions_to_prune,
)


@pytest.mark.parametrize(
    ("user", "model", "allowed"),
    [
        ("lite", "lite", True),
        ("lite", "standard", False),
        ("lite", "professional", False),
        ("standard", "lite", True),
        ("standard", "standard", True),
        ("standard", "professional", False),
        ("professional", "lite", True),
        ("professional", "standard", True),
        ("professional", "professional", True),
    ],
)
def test_a_tier_may_use_its_own_tier_and_below(user: str, model: str, allowed: bool) -> None:
    assert ModelAccessControl.can_access_model(user, model) is allowed
    assert ModelAccessControl.can_access_model(Tier.parse(user), Tier.parse(model)) is allowed


def test_tier_parsing_and_order() -> None:
    assert Tier.LITE < Tier.STANDARD < Tier.PROFESSIONAL
    assert Tier.parse(" Professional ") is Tier.PROFESSIONAL
    assert Tier.STANDARD.allowed_keys() == ["lite", "standard"]
    assert Tier.LITE.label == "Lite"
    with pytest.raises(ValueError, match="unknown tier 'gold'"):
        Tier.parse("gold")


def test_versions_order_numerically_not_as_text() -> None:
    assert version_key("1.10.0") > version_key("1.9.0")
    assert version_key("2.0.0") > version_key("2.0.0rc1")
    assert version_key("1.0.0.post1") > version_key("1.0.0")
    assert newest(["1.2.0", "1.10.0", "1.9.9"], key=str) == "1.10.0"


def test_non_pep440_versions_sort_naturally_and_below_pep440() -> None:
    ordered = sort_versions(["build-9", "build-10", "1.0"], key=str, newest_first=False)
    assert ordered == ["build-9", "build-10", "1.0"]


@pytest.mark.parametrize(
    ("active", "kept", "target"),
    [
        (None, ["1.0", "2.0"], None),
        ("1.0", ["1.0"], None),
        ("1.0", ["1.0", "2.0"], None),
        ("2.0", ["1.0", "2.0"], "1.0"),
        ("3.0", ["1.9.0", "1.10.0", "3.0", "2.0rc1"], "2.0rc1"),
        ("1.10.0", ["1.9.0", "1.10.0", "1.2.0"], "1.9.0"),
        ("2.0", ["2.0", "3.0", "1.5"], "1.5"),
        ("v10", ["v9", "v10", "v2"], "v9"),
    ],
)
def test_rollback_goes_to_the_newest_kept_version_older_than_the_active_one(
    active: str | None, kept: list[str], target: str | None
) -> None:
    assert rollback_target(active, kept) == target


@pytest.mark.parametrize(
    ("active", "kept", "keep", "pruned"),
    [
        (None, ["1.0", "2.0"], 1, []),
        ("2.0", ["2.0"], 1, []),
        ("3.0", ["1.0", "2.0", "3.0"], 1, ["1.0"]),
        ("3.0", ["1.0", "2.0", "3.0"], 0, ["2.0", "1.0"]),
        ("3.0", ["1.0", "2.0", "3.0"], 5, []),
        ("3.0", ["1.0", "2.0", "3.0"], -1, ["2.0", "1.0"]),
        # After a rollback the newer version is the inactive one kept first.
        ("1.0", ["1.0", "2.0", "3.0"], 1, ["2.0"]),
        ("1.10.0", ["1.9.0", "1.10.0", "1.2.0"], 1, ["1.2.0"]),
    ],
)
def test_a_prune_keeps_the_newest_few_inactive_versions(
    active: str | None, kept: list[str], keep: int, pruned: list[str]
) -> None:
    assert versions_to_prune(active, kept, keep) == pruned
