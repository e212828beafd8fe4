"""`clary-models apikey | params | use | usage | serve` in real subprocesses."""

from __future__ import annotations

import json
import re
import signal
import subprocess

import requests

from tests.conftest import CliRunner
from tests.support.cli import clean_env, script


def test_api_keys_are_shown_once_listed_and_revoked(cli: CliRunner) -> None:
    created = cli("apikey", "create", "pipeline")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("clary_") and len(secret) > 40
    assert "not shown again" in created.stderr

    listed = json.loads(cli("apikey", "list", "--json").stdout)["keys"]
    assert [(k["name"], k["revoked_at"]) for k in listed] == [("pipeline", None)]
    assert secret not in json.dumps(listed)

    again = cli("apikey", "create", "pipeline")
    assert again.returncode == 1 and "already exists" in again.stderr
    bad = cli("apikey", "create", "../x")
    assert bad.returncode == 1 and "must start with a letter or digit" in bad.stderr

    assert cli("apikey", "revoke", "pipeline").returncode == 0
    listed = json.loads(cli("apikey", "list", "--json").stdout)["keys"]
    assert listed[0]["revoked_at"] is not None
    missing = cli("apikey", "revoke", "nobody")
    assert missing.returncode == 1 and "No API key named 'nobody'" in missing.stderr


def test_parameters_are_validated_and_kept(cli: CliRunner) -> None:
    model = "qwen2.5-1.5b-instruct"
    ok = cli("params", model, "--set", "context_length=4096", "--set", "batch_size=128", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["parameters"]["context_length"] == 4096
    cases = {
        "context_length=99999": "more than the model's maximum context of 32768 tokens",
        "batch_size=8192": "more than the context length 4096",
        "context_length=0": "must be between 1 and",
        "context_length=12.5": "must be a whole number",
        "temperature=hot": "must be a number",
        "quantization=Q8_0": "is a fact of the model ('Q4_K_M'), not a setting",
        "colour=3": "is not known; settable parameters: context_length",
        "oops": "--set needs NAME=VALUE",
    }
    for assignment, message in cases.items():
        result = cli("params", model, "--set", assignment)
        assert result.returncode == 1, assignment
        assert message in result.stderr, (assignment, result.stderr)
    kept = json.loads(cli("params", model, "--json").stdout)["parameters"]
    assert (kept["context_length"], kept["batch_size"]) == (4096, 128)
    reset = json.loads(cli("params", model, "--reset", "--json").stdout)["parameters"]
    assert reset["context_length"] == 32768 and reset["batch_size"] == 512


def test_use_refuses_models_that_are_not_installed_or_above_the_tier(cli: CliRunner) -> None:
    result = cli("use", "llm", "qwen2.5-1.5b-instruct")
    assert result.returncode == 1
    assert "is not installed. Download it first" in result.stderr
    result = cli("use", "llm", "llama-3-8b")
    assert result.returncode == 1 and "requires professional" in result.stderr
    result = cli("use", "ocr", "layoutlmv3")
    assert result.returncode == 1 and "is a layout model; it cannot be used for the ocr task" in (
        result.stderr
    )
    usage = json.loads(cli("usage", "--json").stdout)
    assert usage == {"tasks": []}


def test_serve_answers_on_loopback_until_interrupted(cli: CliRunner, data_dir) -> None:
    secret = cli("apikey", "create", "serve-test").stdout.strip()
    process = subprocess.Popen(
        [*script("clary-models"), "--data-dir", str(data_dir), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        line = process.stderr.readline()  # type: ignore[union-attr]
        match = re.search(r"API on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        url = match.group(1)
        assert requests.get(url + "/api/v1/models", timeout=30).status_code == 401
        answer = requests.get(url + "/api/v1/models", headers={"X-API-Key": secret}, timeout=30)
        assert answer.status_code == 200
        assert {m["tier"] for m in answer.json()} == {"lite"}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert code == 0
    stderr = process.stderr.read()  # type: ignore[union-attr]
    assert "Traceback" not in stderr
