"""`clary-models sources`: list, add, move, remove and test the download sources, run as
a user would; and a plain-URL model fetched from a mirror that `wget -x` laid out and
nginx serves."""

from __future__ import annotations

import json
import socket
import subprocess

import pytest

from tests.support import cli as cli_support
from tests.support.download_env import REVISION, hub_entry, sha, url_entry, write_manifest
from tests.support.fault_server import BlobServer, random_bytes
from tests.support.hub_server import HubServer
from tests.support.nginx_server import NginxServer, needed_tool


def saved_sources(data_dir):
    return json.loads((data_dir / "settings.json").read_text())["sources"]


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_an_old_settings_file_lists_its_hub_endpoint_as_the_one_source(cli, data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / "settings.json").write_text(
        json.dumps({"hub_endpoint": "https://hf.corp.example", "hub_token": "hf_secret"})
    )

    result = cli("sources")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["#", "NAME", "KIND", "ADDRESS", "TOKEN"]
    assert lines[2].split()[:4] == ["1", "hub", "Hub", "https://hf.corp.example"]
    assert "hub_token setting" in lines[2]
    assert "hf_secret" not in result.stdout
    listed = json.loads(cli("sources", "--json").stdout)["sources"]
    assert listed == [
        {"name": "hub", "kind": "hub", "url": None, "default_hub": True, "token_set": False}
    ]


def test_add_move_remove_are_saved_in_order(cli, data_dir):
    added = cli(
        "sources",
        "add",
        "corp",
        "--hub",
        "https://hf.corp.example/",
        "--token",
        "-",
        input="corp-token\n",
    )
    assert added.returncode == 0, added.stderr
    assert "corp-token" not in added.stdout
    assert cli("sources", "add", "files", "--url", "http://files.corp.example").returncode == 0
    assert [(s["name"], s["url"], s["token"]) for s in saved_sources(data_dir)] == [
        ("hub", None, None),
        ("corp", "https://hf.corp.example", "corp-token"),
        ("files", "http://files.corp.example", None),
    ]

    moved = cli("sources", "move", "corp", "1")
    assert moved.returncode == 0, moved.stderr
    assert [s["name"] for s in saved_sources(data_dir)] == ["corp", "hub", "files"]
    removed = cli("sources", "remove", "hub")
    assert removed.returncode == 0, removed.stderr
    assert [s["name"] for s in saved_sources(data_dir)] == ["corp", "files"]
    listing = cli("sources").stdout.splitlines()
    assert [line.split()[:3] for line in listing[2:]] == [
        ["1", "corp", "Hub"],
        ["2", "files", "URL"],
    ]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("remove", "nope"), "There is no source named 'nope'; the sources are: hub, files."),
        (("move", "files", "7"), "Position 7 is not in the list: choose 1 to 2."),
        (("add", "FILES", "--url", "http://x.example"), "There is already a source named"),
        (("add", "bad", "--url", "ftp://x.example"), "must start with http:// or https://"),
        (("add", "odd name", "--url", "http://x.example"), "The source cannot be added (name"),
        (("add", "m", "--url", "http://x.example", "--token", "t"), "takes no token"),
    ],
)
def test_bad_changes_are_refused_in_plain_words_and_nothing_changes(cli, data_dir, args, words):
    assert cli("sources", "add", "files", "--url", "http://files.example").returncode == 0
    before = saved_sources(data_dir)

    result = cli("sources", *args)

    assert result.returncode != 0
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert saved_sources(data_dir) == before


def test_the_last_source_cannot_be_removed(cli, data_dir):
    result = cli("sources", "remove", "hub")
    assert result.returncode == 1
    assert "'hub' is the only source" in result.stderr
    assert not (data_dir / "settings.json").exists() or saved_sources(data_dir) is None


def test_sources_test_says_which_source_works(cli):
    with HubServer() as hub, BlobServer() as files, BlobServer() as not_a_hub:
        hub.add_repo("acme/x", "0" * 40, {"a.txt": b"a"})
        down = closed_port_url()
        for args in (
            ("good-hub", "--hub", hub.endpoint),
            ("files", "--url", files.base_url),
            ("down", "--url", down),
            ("wrong", "--hub", not_a_hub.base_url),
        ):
            assert cli("sources", "add", *args).returncode == 0
        assert cli("sources", "remove", "hub").returncode == 0

        result = cli("sources", "test")
        as_json = cli("sources", "test", "--json")
        one = cli("sources", "test", "good-hub")

    assert result.returncode == 1  # not every source works
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert lines["good-hub"] == f"({hub.endpoint}): works. It answers the Hugging Face Hub API."
    assert lines["files"].startswith(f"({files.base_url}): works.")
    assert lines["down"] == (
        f"({down}): unreachable. Cannot reach {down}: the server refused the connection."
    )
    assert lines["wrong"].startswith(f"({not_a_hub.base_url}): doubtful. It answered HTTP 404")
    states = {c["name"]: c["state"] for c in json.loads(as_json.stdout)["checks"]}
    assert states == {
        "good-hub": "works",
        "files": "works",
        "down": "unreachable",
        "wrong": "doubtful",
    }
    assert one.returncode == 0 and one.stdout.startswith("good-hub (")


def test_sources_test_touches_no_network_in_offline_mode(cli):
    with BlobServer() as files:
        assert cli("sources", "add", "files", "--url", files.base_url).returncode == 0
        result = cli("sources", "test", env=cli_support.clean_env(CLARY_OFFLINE="1"))
        files.settle()
        assert not files.requests
    assert result.returncode == 1
    assert "offline mode" in result.stderr and "no source is tested" in result.stderr
    assert "Traceback" not in result.stderr


def test_download_takes_a_hub_model_from_the_second_hub_when_the_first_is_down(
    cli, data_dir, tmp_path
):
    files = {"model.safetensors": random_bytes(2 * 1024 * 1024 + 1, seed=8), "config.json": b"{}"}
    env = cli_support.clean_env(HF_HUB_OFFLINE="0")
    with HubServer() as backup:
        backup.add_repo("acme/model", REVISION, files)
        manifest = write_manifest(
            tmp_path / "catalog.json", hub_entry("hub-model", "acme/model", files)
        )
        assert cli("catalog", "import", manifest, env=env).returncode == 0
        assert (
            cli(
                "sources", "add", "down", "--hub", closed_port_url(), "--position", "1", env=env
            ).returncode
            == 0
        )
        assert cli("sources", "add", "backup", "--hub", backup.endpoint, env=env).returncode == 0
        assert cli("sources", "remove", "hub", env=env).returncode == 0

        result = cli("download", "hub-model", env=env)

    assert result.returncode == 0, result.stderr
    assert "installed and verified" in result.stdout
    folder = data_dir / "models" / "layout" / "hub-model" / "1.0"
    for path, data in files.items():
        assert sha((folder / path).read_bytes()) == sha(data)


def test_a_plain_url_model_downloads_from_a_mirror_laid_out_by_wget(cli, data_dir, tmp_path):
    nginx = needed_tool("nginx")
    wget = needed_tool("wget")
    data = random_bytes(1024 * 1024 + 7, seed=5)
    mirror_dir = tmp_path / "mirror"
    with BlobServer() as origin:
        origin.add("tiny.gguf", data)
        manifest = write_manifest(
            tmp_path / "catalog.json",
            url_entry("tiny", {"tiny.gguf": (origin.url("tiny.gguf"), data)}),
        )
        assert cli("catalog", "import", manifest).returncode == 0
        # What IT runs once: wget -x keeps host:port/path under the mirror's folder.
        subprocess.run(
            [wget, "-q", "-x", "-P", str(mirror_dir), origin.url("tiny.gguf")],
            check=True,
            timeout=60,
        )
        origin.requests.clear()
        with NginxServer(nginx, mirror_dir) as server:
            base = f"http://127.0.0.1:{server.port}/full"
            assert cli("sources", "add", "files", "--url", base, "--position", "1").returncode == 0

            result = cli("download", "tiny")

        assert result.returncode == 0, result.stderr
        origin.settle()
        assert not [r for r in origin.requests if r.method == "GET"]
    installed = data_dir / "models" / "llm" / "tiny" / "1.0" / "tiny.gguf"
    assert sha(installed.read_bytes()) == sha(data)


def test_a_policy_that_locks_the_sources_is_listed_and_refuses_changes(cli, data_dir, tmp_path):
    """The README's example: the company's mirrors, locked."""
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Mirrors", 1)[1]
    policy = tmp_path / "policy.json"
    policy.write_text(section.split("```json\n", 1)[1].split("```", 1)[0], encoding="utf-8")
    env = cli_support.clean_env(CLARY_POLICY_FILE=str(policy))

    listed = cli("sources", "--json", env=env)
    refused = cli("sources", "add", "mine", "--url", "http://mine.example", env=env)
    moved = cli("sources", "move", "corp-files", "1", env=env)

    assert listed.returncode == 0, listed.stderr
    assert [s["name"] for s in json.loads(listed.stdout)["sources"]] == ["corp-hub", "corp-files"]
    for result in (refused, moved):
        assert result.returncode == 1
        assert "Set by your administrator" in result.stderr
        assert "Traceback" not in result.stderr
    assert (
        not (data_dir / "settings.json").exists()
        or "sources" not in json.loads((data_dir / "settings.json").read_text())
        or json.loads((data_dir / "settings.json").read_text())["sources"] is None
    )


def test_settings_show_hides_the_tokens_of_the_sources(cli):
    added = cli("sources", "add", "corp", "--hub", "https://hf.corp.example", "--token", "s3cret")
    assert added.returncode == 0, added.stderr

    shown = cli("settings", "show", "--json")
    table = cli("settings", "show")

    assert shown.returncode == 0 and table.returncode == 0
    assert "s3cret" not in shown.stdout + table.stdout
    listed = json.loads(shown.stdout)["settings"]["sources"]
    assert listed[1] == {
        "name": "corp",
        "kind": "hub",
        "url": "https://hf.corp.example",
        "token": "(hidden)",
    }
