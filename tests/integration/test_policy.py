"""The administrator's policy through the core and the real `clary-models`: locked
settings are in force, refused with the same words everywhere, and never saved."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.paths import POLICY_FILE_ENV, AppPaths
from clary_desktop.policy import LOCKED_WORDS, PolicyLockedError, load_policy
from clary_desktop.settings import Settings, save_settings
from tests.conftest import CliRunner
from tests.support import cli as cli_support

POLICY = {
    "settings": {
        "offline": True,
        "proxy": "http://proxy.corp:3128",
        "api_enabled": False,
        "models_dir": "/srv/company-models",
        "concurrent_downloads": 4,
    },
    "locked": ["offline", "proxy", "api_enabled", "models_dir"],
}
#: What the user chose before the policy came: it must survive every save untouched.
MINE = Settings(offline=False, proxy="http://mine.example:8080", concurrent_downloads=3)


@pytest.fixture
def policy_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "etc" / "policy.json"
    path.parent.mkdir()
    path.write_text(json.dumps(POLICY), encoding="utf-8")
    monkeypatch.setenv(POLICY_FILE_ENV, str(path))
    return path


@pytest.fixture
def user_file(paths: AppPaths) -> Path:
    save_settings(paths.settings_file, MINE)
    return paths.settings_file


@pytest.fixture
def reg(paths: AppPaths, policy_path: Path, user_file: Path) -> Iterator[Registry]:
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    yield registry
    registry.close()


def saved(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# ---- the core ----------------------------------------------------------------------------


def test_the_policy_values_are_in_force_over_the_users(reg: Registry, policy_path: Path) -> None:
    assert reg.policy.source == policy_path and reg.policy.problem is None
    assert (reg.settings.offline, reg.settings.proxy) == (True, "http://proxy.corp:3128")
    assert reg.models_dir == Path("/srv/company-models")
    assert reg.settings.concurrent_downloads == 3  # a starting value: the user's file has one
    assert reg.downloads.settings.offline is True  # the engine got the settings in force
    assert reg.stored_settings == MINE


def test_the_registry_refuses_a_locked_change_and_changes_nothing(
    reg: Registry, user_file: Path
) -> None:
    before = user_file.read_bytes()
    for change in (
        {"proxy": "http://elsewhere:1", "concurrent_downloads": 9},
        {"models_dir": "/tmp/mine"},
    ):
        with pytest.raises(PolicyLockedError, match=LOCKED_WORDS):
            reg.apply_settings(MINE.model_copy(update=change))
    # Naming a locked setting is refused whatever the value, the policy's own included.
    for change in ({"offline": False}, {"offline": True}, {"proxy": "http://proxy.corp:3128"}):
        with pytest.raises(PolicyLockedError, match=LOCKED_WORDS):
            reg.change_settings(change)
    with pytest.raises(PolicyLockedError, match=LOCKED_WORDS):
        reg.reset_settings(["proxy"])
    assert user_file.read_bytes() == before
    assert reg.stored_settings == MINE and reg.settings.offline is True
    assert reg.settings.concurrent_downloads == 3


def test_saving_an_unlocked_change_never_writes_the_policy_values(
    reg: Registry, user_file: Path
) -> None:
    # As a front would: starting from the settings in force, changing one unlocked value.
    in_force = reg.apply_settings(reg.settings.model_copy(update={"concurrent_downloads": 6}))
    assert (in_force.concurrent_downloads, in_force.proxy) == (6, "http://proxy.corp:3128")
    on_disk = saved(user_file)
    assert on_disk["concurrent_downloads"] == 6
    assert (on_disk["offline"], on_disk["proxy"]) == (False, "http://mine.example:8080")
    assert on_disk["models_dir"] is None
    reg.change_settings({"parallel_parts": "2"})
    assert saved(user_file)["parallel_parts"] == 2 and saved(user_file)["offline"] is False


def test_moving_a_locked_models_folder_is_refused_before_a_file_moves(
    reg: Registry, tmp_path: Path
) -> None:
    with pytest.raises(PolicyLockedError, match="models_dir: " + LOCKED_WORDS):
        reg.move_models_dir(tmp_path / "new-models")
    assert not (tmp_path / "new-models").exists()


def test_serving_the_api_follows_the_locks(reg: Registry) -> None:
    with pytest.raises(PolicyLockedError, match="api_enabled: " + LOCKED_WORDS):
        reg.require_api_allowed("127.0.0.1", 8765)


def test_a_new_user_starts_from_the_policys_starting_values(
    paths: AppPaths, policy_path: Path
) -> None:
    with Registry.open(paths, tier_source=lambda: Tier.LITE) as registry:
        assert registry.settings.concurrent_downloads == 4
        registry.change_settings({"concurrent_downloads": "2"})  # theirs to change
        assert registry.settings.concurrent_downloads == 2
        assert saved(paths.settings_file)["offline"] is False  # the default, not the policy


def test_a_broken_policy_keeps_the_users_settings_offline_and_locked(
    paths: AppPaths, policy_path: Path, user_file: Path
) -> None:
    policy_path.write_text('{"settings": {"offline": "no"}}', encoding="utf-8")
    before = user_file.read_bytes()
    with Registry.open(paths, tier_source=lambda: Tier.LITE) as registry:
        assert (
            registry.policy.problem == "\"offline\": input should be a valid boolean (found 'no')"
        )
        assert registry.settings == MINE.model_copy(update={"offline": True, "api_enabled": False})
        with pytest.raises(PolicyLockedError, match="Settings cannot be changed"):
            registry.change_settings({"concurrent_downloads": "5"})
    assert user_file.read_bytes() == before


# ---- the command line --------------------------------------------------------------------


def policy_env(policy_path: Path) -> dict[str, str]:
    return cli_support.clean_env(**{POLICY_FILE_ENV: str(policy_path)})


def test_the_cli_refuses_a_locked_setting_with_the_same_words(
    cli: CliRunner, policy_path: Path, user_file: Path
) -> None:
    env = policy_env(policy_path)
    before = user_file.read_bytes()
    for args in (
        ("settings", "set", "offline", "false"),
        ("settings", "set", "proxy", "http://elsewhere:1"),
        ("settings", "reset", "concurrent_downloads", "models_dir"),
    ):
        result = cli(*args, env=env)
        assert result.returncode == 1, result
        assert LOCKED_WORDS in result.stderr and "nothing was changed" in result.stderr
        assert "Traceback" not in result.stderr
        assert user_file.read_bytes() == before
    # Even the policy's own value: a locked setting is not the user's to set.
    same = cli("settings", "set", "offline", "true", env=env)
    assert same.returncode == 1
    assert f"offline: {LOCKED_WORDS} (in {policy_path}); nothing was changed." in same.stderr

    served = cli("serve", "--port", "0", env=env)
    assert served.returncode == 1 and "api_enabled: " + LOCKED_WORDS in served.stderr

    changed = cli("settings", "set", "concurrent_downloads", "7", env=env)
    assert changed.returncode == 0, changed.stderr
    on_disk = saved(user_file)
    assert on_disk["concurrent_downloads"] == 7
    assert (on_disk["offline"], on_disk["proxy"]) == (False, "http://mine.example:8080")


def test_settings_show_marks_the_locked_values(
    cli: CliRunner, policy_path: Path, user_file: Path
) -> None:
    env = policy_env(policy_path)
    shown = cli("settings", "show", env=env)
    assert shown.returncode == 0, shown.stderr
    rows = {line.split()[0]: line for line in shown.stdout.splitlines()[2:]}
    assert rows["offline"].split()[1] == "true" and rows["offline"].endswith(LOCKED_WORDS)
    assert "http://proxy.corp:3128" in rows["proxy"] and rows["proxy"].endswith(LOCKED_WORDS)
    assert rows["concurrent_downloads"].split() == ["concurrent_downloads", "3"]
    assert f"come from {policy_path}" in shown.stderr

    listed = json.loads(cli("settings", "show", "--json", env=env).stdout)
    assert listed["locked"] == sorted(POLICY["locked"])
    assert listed["settings"]["offline"] is True and listed["settings"]["proxy"] == (
        "http://proxy.corp:3128"
    )
    assert (listed["policy_file"], listed["policy_problem"]) == (str(policy_path), None)


def test_the_cli_without_a_policy_changes_and_checks_settings(
    cli: CliRunner, data_dir: Path
) -> None:
    settings_file = data_dir / "settings.json"
    assert cli("settings", "set", "offline", "true").returncode == 0
    assert cli("settings", "set", "bandwidth_limit_bps", "1000").returncode == 0
    assert saved(settings_file)["offline"] is True
    before = settings_file.read_bytes()
    for args, words in (
        (("parallel_parts", "99"), '"parallel_parts": input should be less than or equal to 32'),
        (("ofline", "true"), 'There is no setting named "ofline" (did you mean "offline"?)'),
        (("api_port", "lots"), '"api_port": input should be a valid integer'),
    ):
        result = cli("settings", "set", *args)
        assert result.returncode == 1 and words in result.stderr, result.stderr
        assert settings_file.read_bytes() == before
    assert cli("settings", "reset", "offline", "bandwidth_limit_bps").returncode == 0
    assert saved(settings_file)["offline"] is False
    assert saved(settings_file)["bandwidth_limit_bps"] is None
    listed = json.loads(cli("settings", "show", "--json").stdout)
    assert listed["locked"] == [] and listed["policy_file"] is None


def test_a_token_is_never_printed(cli: CliRunner) -> None:
    assert cli("settings", "set", "hub_token", "hf_secret123").returncode == 0
    for args in (("settings", "show"), ("settings", "show", "--json")):
        assert "hf_secret123" not in cli(*args).stdout
    assert json.loads(cli("settings", "show", "--json").stdout)["settings"]["hub_token"] == (
        "(hidden)"
    )


def test_a_broken_policy_is_said_by_every_command_and_locks_every_setting(
    cli: CliRunner, policy_path: Path, user_file: Path
) -> None:
    policy_path.write_text('{"settings": {"proxy": "http://p:1"}, "locked": ["proxy"]', "utf-8")
    env = policy_env(policy_path)
    before = user_file.read_bytes()
    warning = f"clary-models: warning: The administrator's policy file {policy_path} cannot be used"
    listed = cli("list", env=env)
    assert listed.returncode == 0 and listed.stderr.count(warning) == 1

    shown = json.loads(cli("settings", "show", "--json", env=env).stdout)
    assert shown["policy_problem"].startswith("it is not valid JSON (line 1")
    assert shown["settings"]["offline"] is True and shown["settings"]["proxy"] == (
        "http://mine.example:8080"
    )
    refused = cli("settings", "set", "concurrent_downloads", "5", env=env)
    assert refused.returncode == 1 and "Settings cannot be changed" in refused.stderr
    assert user_file.read_bytes() == before


def test_the_readmes_example_policy_is_valid_and_locks_what_it_says(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## For IT departments", 1)[1]
    example = section.split("```json\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "policy.json"
    path.write_text(example, encoding="utf-8")
    policy = load_policy(path)
    assert policy.problem is None
    assert set(policy.starting) == {"models_dir", "concurrent_downloads"}  # as it says
    assert "offline" in policy.locked and policy.values["proxy"].startswith("http://")
    assert LOCKED_WORDS in readme and LOCKED_WORDS == "Set by your administrator"
