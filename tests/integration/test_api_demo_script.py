"""The README's API script, run as a user would against an installed model."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
from pathlib import Path

from tests.support.cli import BIN_DIR, clean_env
from tests.support.fault_server import BlobServer, random_bytes

SCRIPT = Path(__file__).parents[2] / "scripts" / "api_demo.sh"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_api_demo_script(cli, data_dir, tmp_path) -> None:
    weights = random_bytes(200_000, seed=5)
    with BlobServer() as server:
        server.add("demo.gguf", weights)
        entry = {
            "id": "demo-llm",
            "name": "Demo LLM",
            "type": "llm",
            "tier": "lite",
            "parameters": {"context_length": 4096, "batch_size": 256},
            "versions": [
                {
                    "version": "1.0",
                    "files": [
                        {
                            "path": "demo.gguf",
                            "url": server.url("demo.gguf"),
                            "size_bytes": len(weights),
                            "sha256": hashlib.sha256(weights).hexdigest(),
                        }
                    ],
                }
            ],
        }
        manifest = tmp_path / "demo.json"
        manifest.write_text(json.dumps({"models": [entry]}))
        assert cli("catalog", "import", str(manifest)).returncode == 0
        assert cli("download", "demo-llm").returncode == 0

    env = clean_env(CLARY_DATA_DIR=str(data_dir), CLARY_API_PORT=str(_free_port()))
    env["PATH"] = f"{BIN_DIR}{os.pathsep}{env['PATH']}"
    result = subprocess.run(
        ["bash", str(SCRIPT), "demo-llm"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    usage_line = result.stdout.split("== GET")[1].splitlines()[1]
    usage = json.loads(usage_line)
    assert usage["model_id"] == "demo-llm" and usage["parameters"]["context_length"] == 4096
    assert Path(usage["files"][0]).read_bytes() == weights
    reported = json.loads(result.stdout.split("== POST")[1].splitlines()[1])
    assert reported["latency_ms"] == 850.0
    assert "1 (0 failed)" in result.stdout and "median 850.0 ms" in result.stdout
    assert "Traceback" not in result.stderr
