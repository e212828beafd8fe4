"""Publishing a signed catalog with a new version, then update, rollback and a kill
in the middle of an update, all through real `clary-catalog` / `clary-models` runs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import clean_env, kill_when, run
from tests.support.fault_server import BlobServer, random_bytes
from tests.support.licenses import Signer

V1 = random_bytes(300_000, seed=11)
V2 = random_bytes(3 * 1024 * 1024, seed=12)
V3 = random_bytes(200_000, seed=13)
DATA = {"1.0.0": V1, "2.0.0": V2, "3.0.0": V3}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def server() -> Iterator[BlobServer]:
    with BlobServer() as blob_server:
        for version, data in DATA.items():
            blob_server.add(f"upd-{version}.bin", data)
        yield blob_server


@pytest.fixture
def vendor(tmp_path: Path) -> tuple[Signer, Path, Path]:
    signer = Signer(kid="vendor-test")
    keys = tmp_path / "dev-keys"
    signer.write_public(keys)
    private = signer.write_private(tmp_path / "vendor-secret")
    return signer, keys, private


@pytest.fixture
def env(vendor, server) -> dict[str, str]:
    return clean_env(CLARY_DEV_LICENSE_KEYS=str(vendor[1]))


def publish(
    tmp_path: Path, server: BlobServer, private: Path, sequence: int, versions: list[str]
) -> Path:
    entry = {
        "id": "upd-model",
        "name": "Updatable model",
        "type": "llm",
        "tier": "lite",
        "versions": [
            {
                "version": version,
                "changes": f"release {version}",
                "files": [
                    {
                        "path": "model.bin",
                        "url": server.url(f"upd-{version}.bin"),
                        "size_bytes": len(DATA[version]),
                        "sha256": sha(DATA[version]),
                    }
                ],
            }
            for version in versions
        ],
    }
    plain = tmp_path / f"catalog-{sequence}.json"
    plain.write_text(json.dumps({"schema": 1, "models": [entry]}))
    signed = tmp_path / f"catalog-{sequence}.signed.json"
    result = run(
        "clary-catalog",
        "sign",
        "--key",
        private,
        "--in",
        plain,
        "--out",
        signed,
        "--sequence",
        str(sequence),
    )
    assert result.returncode == 0, result.stderr
    return signed


def installed(cli, env) -> dict:
    versions = json.loads(cli("versions", "upd-model", "--json", env=env).stdout)["versions"]
    return {v["version"]: v["active"] for v in versions if v["installed"]}


def model_file(data_dir: Path, version: str) -> Path:
    return data_dir / "models" / "llm" / "upd-model" / version / "model.bin"


def test_publish_update_rollback_and_prune(cli, env, server, vendor, tmp_path, data_dir) -> None:
    _, _, private = vendor
    assert (
        cli(
            "catalog",
            "sync",
            "--from",
            str(publish(tmp_path, server, private, 1, ["1.0.0"])),
            env=env,
        ).returncode
        == 0
    )
    assert cli("download", "upd-model", env=env).returncode == 0
    assert json.loads(cli("list", "--updates", "--json", env=env).stdout)["models"] == []

    synced = cli(
        "catalog",
        "sync",
        "--from",
        str(publish(tmp_path, server, private, 2, ["1.0.0", "2.0.0"])),
        env=env,
    )
    assert synced.returncode == 0, synced.stderr
    assert "1 installed model(s) can be updated" in synced.stdout
    listed = json.loads(cli("list", "--updates", "--json", env=env).stdout)["models"]
    assert [(m["id"], m["installed_version"], m["version"], m["status"]) for m in listed] == [
        ("upd-model", "1.0.0", "2.0.0", "update available")
    ]

    updated = cli("update", "upd-model", env=env)
    assert updated.returncode == 0, updated.stderr
    assert "from 1.0.0 to 2.0.0" in updated.stdout
    assert installed(cli, env) == {"2.0.0": True, "1.0.0": False}
    assert sha(model_file(data_dir, "2.0.0").read_bytes()) == sha(V2)

    rolled = cli("rollback", "upd-model", env=env)
    assert rolled.returncode == 0 and "back on 1.0.0" in rolled.stdout
    assert installed(cli, env) == {"2.0.0": False, "1.0.0": True}
    nothing_older = cli("rollback", "upd-model", env=env)
    assert nothing_older.returncode == 1 and "nothing to roll back to" in nothing_older.stderr

    requests_before = len(server.requests)
    assert cli("update", "--all", env=env).returncode == 0  # 2.0.0 is on disk: switch at once
    assert installed(cli, env) == {"2.0.0": True, "1.0.0": False}
    assert len(server.requests) == requests_before

    cli(
        "catalog",
        "sync",
        "--from",
        str(publish(tmp_path, server, private, 3, ["1.0.0", "2.0.0", "3.0.0"])),
        env=env,
    )
    assert cli("update", "upd-model", env=env).returncode == 0
    assert installed(cli, env) == {"3.0.0": True, "2.0.0": False}  # keep one previous version
    assert not model_file(data_dir, "1.0.0").parent.exists()

    older = cli("catalog", "sync", "--from", str(tmp_path / "catalog-2.signed.json"), env=env)
    assert older.returncode == 1 and "older than the one already accepted" in older.stderr


def test_killing_an_update_leaves_the_old_version_working(
    cli, env, server, vendor, tmp_path, data_dir
) -> None:
    _, _, private = vendor
    cli("catalog", "sync", "--from", str(publish(tmp_path, server, private, 1, ["1.0.0"])), env=env)
    assert cli("download", "upd-model", env=env).returncode == 0
    cli(
        "catalog",
        "sync",
        "--from",
        str(publish(tmp_path, server, private, 2, ["1.0.0", "2.0.0"])),
        env=env,
    )

    server.throttle = 1024 * 1024  # about 3 s for version 2: time to kill it half-way
    new_part = model_file(data_dir, "2.0.0").with_name("model.bin.part")
    kill_when(
        "--data-dir", data_dir, "update", "upd-model", env=env, ready=new_part.exists, settle=0.5
    )
    server.throttle = None

    assert installed(cli, env) == {"1.0.0": True}
    shown = json.loads(cli("show", "upd-model", "--json", env=env).stdout)
    assert shown["installed_version"] == "1.0.0" and shown["update_available"]
    verify = cli("verify", "upd-model", "--json", env=env)
    assert verify.returncode == 0 and json.loads(verify.stdout)["ok"] is True
    assert sha(model_file(data_dir, "1.0.0").read_bytes()) == sha(V1)

    finished = cli("update", "upd-model", env=env)  # resumes the interrupted download
    assert finished.returncode == 0, finished.stderr
    assert installed(cli, env) == {"2.0.0": True, "1.0.0": False}
