"""import-file, export, import-bundle, storage and hf-cache as a user runs them:
real `clary-models` processes, no network (offline mode, connections blocked)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from clary_desktop.domain.access import Tier
from tests.support import cli as cli_support
from tests.support.download_env import sha, write_manifest
from tests.support.gguf_files import write_gguf
from tests.support.storage_env import (
    add_entries,
    file_entry,
    hand_made_bundle,
    no_network_env,
    open_registry,
    tree,
)

WEIGHTS = os.urandom(200_000)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def failed(result: subprocess.CompletedProcess[str]) -> str:
    """A user-facing error: non-zero exit, no traceback, one line on stderr."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def net_log(tmp_path: Path) -> Path:
    yield tmp_path / "network.log"
    assert not (tmp_path / "network.log").exists(), "a command touched the network"


def cli_for(data_dir: Path, net_log: Path):  # type: ignore[no-untyped-def]
    env = no_network_env(net_log)

    def run(*args: str | Path, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return cli_support.run("clary-models", "--data-dir", data_dir, *args, env=env, input=input)

    return run


@pytest.fixture
def models(tmp_path: Path, net_log: Path):  # type: ignore[no-untyped-def]
    return cli_for(tmp_path / "data", net_log)


def state(run) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    """The catalog as `list --json` shows it, and the installed models."""
    listed = json.loads(ok(run("list", "--tier", "professional", "--json")).stdout)["models"]
    report = json.loads(ok(run("storage", "--json")).stdout)
    return listed, report["models"]


def test_import_real_gguf_shows_architecture_and_quantization(tmp_path: Path, models) -> None:
    gguf = write_gguf(tmp_path / "phi-mini.gguf", architecture="phi3", file_type=7)
    result = ok(models("import-file", gguf))
    assert "Registered local model phi-mini" in result.stdout
    assert "Architecture: phi3" in result.stdout
    assert "Quantization: Q8_0" in result.stdout
    shown = json.loads(ok(models("show", "phi-mini", "--json")).stdout)
    assert shown["status"] == "installed" and shown["tier"] == "lite"
    assert ok(models("verify", "phi-mini")).returncode == 0


def test_import_matching_a_catalog_sha256_installs_the_catalog_model(
    tmp_path: Path, models
) -> None:
    gguf = write_gguf(tmp_path / "whatever-name.gguf")
    manifest = write_manifest(
        tmp_path / "catalog.json",
        file_entry("team-llm", {"team-llm.Q4_K_M.gguf": gguf.read_bytes()}),
    )
    ok(models("catalog", "import", manifest))
    result = ok(models("import-file", gguf, "--as", "hardlink", "--json"))
    data = json.loads(result.stdout)
    assert data["matched_catalog"] and data["model_id"] == "team-llm"
    assert data["gguf"]["quantization"] == "Q4_K_M"
    shown = json.loads(ok(models("show", "team-llm", "--json")).stdout)
    assert shown["status"] == "installed"
    assert ok(models("verify", "team-llm")).returncode == 0


def test_bundle_round_trip_between_two_data_dirs_without_network(
    tmp_path: Path, net_log: Path, models
) -> None:
    gguf = write_gguf(tmp_path / "tiny.gguf")
    ok(models("import-file", gguf, "--id", "tiny"))
    weights = tmp_path / "weights.bin"
    weights.write_bytes(WEIGHTS)
    manifest = write_manifest(
        tmp_path / "catalog.json", file_entry("cat-w", {"w.bin": WEIGHTS}, model_type="ocr")
    )
    ok(models("catalog", "import", manifest))
    ok(models("import-file", weights))
    for name in ("bundle-dir", "bundle.tar"):
        exported = ok(models("export", "tiny", "cat-w", "--to", tmp_path / name))
        assert "Bundle written" in exported.stdout

        second = cli_for(tmp_path / f"second-{name}", net_log)
        imported = ok(second("import-bundle", tmp_path / name))
        assert "tiny local installed and verified" in imported.stdout
        assert "cat-w 1.0 installed and verified" in imported.stdout
        verified = json.loads(second("verify", "--json").stdout)
        assert verified["ok"] and len(verified["results"]) == 2
        listed = {m["id"]: m for m in json.loads(ok(second("list", "--json")).stdout)["models"]}
        assert listed["tiny"]["status"] == "installed"
        assert listed["cat-w"]["status"] == "installed"
        folder = tmp_path / f"second-{name}" / "models" / "ocr" / "cat-w" / "1.0"
        assert sha((folder / "w.bin").read_bytes()) == sha(WEIGHTS)


@pytest.fixture
def bundle(tmp_path: Path, models) -> Path:
    gguf = write_gguf(tmp_path / "tiny.gguf")
    ok(models("import-file", gguf, "--id", "tiny"))
    ok(models("export", "tiny", "--to", tmp_path / "bundle"))
    return tmp_path / "bundle"


def test_bundle_with_a_flipped_byte_imports_nothing(
    tmp_path: Path, net_log: Path, bundle: Path
) -> None:
    member = bundle / "files" / "tiny" / "local" / "tiny.gguf"
    data = bytearray(member.read_bytes())
    data[-10] ^= 0x80
    member.write_bytes(bytes(data))
    target = cli_for(tmp_path / "target", net_log)
    before = state(target)
    line = failed(target("import-bundle", bundle))
    assert "files/tiny/local/tiny.gguf does not match" in line
    assert "Nothing was imported" in line
    assert state(target) == before
    assert tree(tmp_path / "target" / "models") == {}


def test_bundle_with_a_missing_file_imports_nothing(
    tmp_path: Path, net_log: Path, bundle: Path
) -> None:
    (bundle / "files" / "tiny" / "local" / "tiny.gguf").unlink()
    target = cli_for(tmp_path / "target", net_log)
    before = state(target)
    line = failed(target("import-bundle", bundle))
    assert "files/tiny/local/tiny.gguf is missing" in line
    assert state(target) == before


def test_offline_a_bundle_cannot_vouch_for_a_catalog_version_without_digests(
    tmp_path: Path, models
) -> None:
    entry = {
        "id": "tables",
        "name": "Table model",
        "description": "The catalog's own words.",
        "type": "layout",
        "tier": "lite",
        "versions": [
            {
                "version": "1.0.0",
                "repo_id": "org/tables",
                "revision": "b" * 40,
                "files": [{"path": "model.safetensors"}, {"path": "config.json"}],
            }
        ],
    }
    ok(models("catalog", "import", write_manifest(tmp_path / "c.json", entry)))
    before = json.loads(ok(models("show", "tables", "--json")).stdout)
    forged = {"model.safetensors": WEIGHTS, "config.json": b"{}"}
    bundle = hand_made_bundle(tmp_path / "forged", entry, forged)
    out = ok(models("import-bundle", bundle)).stdout
    assert "tables-local local installed and verified" in out
    assert "the catalog's tables was left as it was" in out
    after = json.loads(ok(models("show", "tables", "--json")).stdout)
    assert after == before and after["status"] == "not installed"
    assert [f["sha256"] for f in after["versions"][0]["files"]] == [None, None]
    assert "ok" in ok(models("verify", "tables-local")).stdout
    copy = json.loads(ok(models("show", "tables-local", "--json")).stdout)
    assert (copy["origin"], copy["tier"]) == ("local", "lite")


def test_bundle_above_the_importers_tier_imports_nothing(tmp_path: Path, net_log: Path) -> None:
    # Made where a professional license is in force (in-process), imported as lite.
    with open_registry(tmp_path / "pro-site", Tier.PROFESSIONAL) as registry:
        weights = tmp_path / "pro.bin"
        weights.write_bytes(WEIGHTS)
        add_entries(
            registry,
            file_entry("pro-ocr", {"pro.bin": WEIGHTS}, tier="professional", model_type="ocr"),
        )
        registry.import_file(weights)
        registry.import_file(write_gguf(tmp_path / "free.gguf"), model_id="free")
        registry.export_models(["free", "pro-ocr"], tmp_path / "mixed.tar")
    target = cli_for(tmp_path / "target", net_log)
    before = state(target)
    line = failed(target("import-bundle", tmp_path / "mixed.tar"))
    assert "'pro-ocr' requires professional" in line
    assert state(target) == before


def test_storage_report_reclaim_and_move(tmp_path: Path, models) -> None:
    ok(models("import-file", write_gguf(tmp_path / "keep.gguf"), "--id", "keep"))
    root = tmp_path / "data" / "models"
    stray = root / "llm" / "ghost" / "1.0" / "ghost.gguf.part"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"p" * 2000)
    orphan = root / "stuff.bin"
    orphan.write_bytes(b"o" * 1000)
    text = ok(models("storage")).stdout
    assert "keep" in text and "stray" in text and "stuff.bin" in text
    assert "3 kB can be reclaimed" in text

    refused = failed(models("storage", "reclaim"))  # no terminal, no --yes: nothing deleted
    assert "--yes" in refused
    assert stray.exists() and orphan.exists()
    done = ok(models("storage", "reclaim", "--yes"))
    assert "Deleted 2 file(s)" in done.stdout
    assert not stray.exists() and not orphan.exists()

    new = tmp_path / "other-drive" / "models"
    moved = ok(models("storage", "move", new))
    assert "it is now the models folder" in moved.stdout
    assert not root.exists()
    assert ok(models("verify", "keep")).returncode == 0
    report = json.loads(ok(models("storage", "--json")).stdout)
    assert report["models_dir"] == str(new.resolve())


def test_changing_an_installed_models_type_keeps_its_files(tmp_path: Path, models) -> None:
    """Install paths are recorded, never recomputed from fields a manifest can change:
    a new `type` loses nothing, and reclaim never deletes an installed file."""
    gguf = write_gguf(tmp_path / "w.gguf")
    entry = file_entry("team-llm", {"team-llm.gguf": gguf.read_bytes()})
    ok(models("catalog", "import", write_manifest(tmp_path / "a.json", entry)))
    ok(models("import-file", gguf))
    installed = tmp_path / "data" / "models" / "llm" / "team-llm" / "1.0" / "team-llm.gguf"
    assert installed.is_file()
    retyped = {**entry, "type": "ocr", "description": "now an OCR model"}
    ok(models("catalog", "import", write_manifest(tmp_path / "b.json", retyped)))

    assert "ok" in ok(models("verify", "team-llm")).stdout
    report = json.loads(ok(models("storage", "--json")).stdout)
    assert report["orphans"] == [] and report["reclaimable_bytes"] == 0
    assert [m["missing_files"] for m in report["models"]] == [[]]
    ok(models("storage", "reclaim", "--yes"))
    assert installed.read_bytes() == gguf.read_bytes()
    shown = json.loads(ok(models("show", "team-llm", "--json")).stdout)
    assert shown["type"] == "ocr" and shown["status"] == "installed"
    # The model's files can still be exported and removed where they are.
    ok(models("export", "team-llm", "--to", tmp_path / "b.tar"))
    ok(models("remove", "team-llm"))
    assert not installed.exists()


def test_hf_cache_link_through_the_cli(tmp_path: Path, net_log: Path) -> None:
    repo_dir = tmp_path / "hf" / "models--acme--ocr-small"
    blob = repo_dir / "blobs" / sha(WEIGHTS)
    blob.parent.mkdir(parents=True)
    blob.write_bytes(WEIGHTS)
    env = no_network_env(net_log, HF_HUB_CACHE=str(tmp_path / "hf"))

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return cli_support.run("clary-models", "--data-dir", tmp_path / "data", *args, env=env)

    manifest = write_manifest(
        tmp_path / "catalog.json", file_entry("ocr-small", {"ocr.bin": WEIGHTS}, model_type="ocr")
    )
    ok(run("catalog", "import", manifest))
    assert "can link" in ok(run("hf-cache")).stdout
    linked = ok(run("hf-cache", "--link", "ocr-small"))
    assert "ocr-small 1.0 is installed" in linked.stdout
    assert ok(run("verify", "ocr-small")).returncode == 0


def test_user_errors_are_one_plain_line(tmp_path: Path, models) -> None:
    assert "no such file" in failed(models("import-file", tmp_path / "nope.gguf"))
    assert "not installed" in failed(models("export", "layoutlmv3", "--to", tmp_path / "b"))
    assert "No model with id" in failed(models("export", "nope", "--to", tmp_path / "b"))
    assert "no such bundle" in failed(models("import-bundle", tmp_path / "nothing.tar"))
    (tmp_path / "fake.tar").write_bytes(b"not a tar at all" * 100)
    assert "not a readable bundle" in failed(models("import-bundle", tmp_path / "fake.tar"))
    assert "already" in failed(models("storage", "move", tmp_path / "data" / "models"))
    assert "no complete copy" in failed(models("hf-cache", "--link", "layoutlmv3"))
