"""`clary-models fit`, `list --fits` and the facts in `show --json`, in a real subprocess
against a real SQLite file; the machine is pinned with --ram / --vram."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import CliRunner
from tests.support.cli import clean_env
from tests.support.db_state import dump
from tests.support.manifests import model_entry, url_version, write_manifest

GIB = 1024**3
MIB = 1024**2
SHAPE = {
    "format": "gguf",
    "architecture": "llama",
    "block_count": 32,
    "context_length": 8192,
    "embedding_length": 4096,
    "head_count": 32,
    "head_count_kv": 8,
    "weight_bytes": 4 * GIB,
}
# 32 layers x 8 K/V heads x 128 x 2 (K and V) x 2 bytes = 128 KiB per token.
KV_AT_8K = 32 * 8 * 128 * 2 * 2 * 8192
TOTAL_AT_8K = 4 * GIB + KV_AT_8K + 512 * MIB


def _json(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def import_models(cli: CliRunner, tmp_path: Path) -> None:
    with_facts = model_entry(
        "planned-llm",
        versions=[
            {
                **url_version("1.0", "https://models.example/planned.gguf", size=4 * GIB + 1000),
                "facts": SHAPE,
            }
        ],
        parameters={},
    )
    without = model_entry("bare-llm", parameters={})
    manifest = write_manifest(tmp_path / "m.json", [with_facts, without])
    assert cli("catalog", "import", str(manifest)).returncode == 0


def test_fit_json_is_the_formula_at_the_pinned_machine(cli: CliRunner, tmp_path: Path) -> None:
    import_models(cli, tmp_path)
    report = _json(cli("fit", "planned-llm", "--ram", "16GB", "--vram", "0", "--json"))
    assert report["verdict"] == "fits_ram"
    assert report["estimate"] == {
        "format": "gguf",
        "context_length": 8192,
        "weights_bytes": 4 * GIB,
        "kv_cache_bytes": KV_AT_8K,
        "overhead_bytes": 512 * MIB,
        "total_bytes": TOTAL_AT_8K,
    }
    assert report["machine"]["total_ram"] == 16 * GIB and report["machine"]["overridden"]
    assert report["machine"]["gpus"] == []
    assert report["facts"]["head_count_kv"] == 8 and report["facts"]["source"] == "manifest"

    doubled = _json(cli("fit", "planned-llm", "--context", "16384", "--ram", "16GB", "--json"))
    assert doubled["estimate"]["total_bytes"] - TOTAL_AT_8K == KV_AT_8K


def test_fit_verdicts_on_both_sides_of_each_boundary(cli: CliRunner, tmp_path: Path) -> None:
    import_models(cli, tmp_path)

    def verdict(*machine: str) -> str:
        return _json(cli("fit", "planned-llm", *machine, "--json"))["verdict"]

    total = str(TOTAL_AT_8K)
    short = str(TOTAL_AT_8K - 1)
    assert verdict("--ram", "1GB", "--vram", total) == "fits_gpu"
    assert verdict("--ram", total, "--vram", short) == "fits_ram"
    assert verdict("--ram", total, "--vram", "0") == "fits_ram"
    assert verdict("--ram", short, "--vram", "0") == "too_large"
    assert verdict("--ram", str(TOTAL_AT_8K - GIB), "--vram", "1GiB") == "fits_ram"
    assert verdict("--ram", str(TOTAL_AT_8K - GIB - 1), "--vram", "1GiB") == "too_large"


def test_fit_in_words(cli: CliRunner, tmp_path: Path) -> None:
    import_models(cli, tmp_path)
    result = cli("fit", "planned-llm", "--ram", "4GB", "--vram", "0")
    assert result.returncode == 0, result.stderr
    assert "too large: needs 5.5 GiB; this computer has 4 GiB of RAM" in result.stdout
    assert "KV cache        1 GiB at 8,192 tokens" in result.stdout
    assert "4 GiB (as given)" in result.stdout


def test_fit_without_facts_offline_says_why(cli: CliRunner, tmp_path: Path) -> None:
    import_models(cli, tmp_path)
    result = cli("fit", "bare-llm", "--json", env=clean_env(CLARY_OFFLINE="1"))
    report = _json(result)
    assert report["verdict"] == "unknown" and report["estimate"] is None
    assert "offline mode is on" in report["reason"]


def test_list_fits_adds_the_verdict_from_stored_facts(cli: CliRunner, tmp_path: Path) -> None:
    import_models(cli, tmp_path)
    out = _json(cli("list", "--fits", "--ram", "16GB", "--vram", "0", "--json"))
    fits = {m["id"]: m["fit"] for m in out["models"]}
    assert fits["planned-llm"] == {
        "verdict": "fits_ram",
        "total_bytes": TOTAL_AT_8K,
        "reason": fits["planned-llm"]["reason"],
    }
    assert fits["bare-llm"]["verdict"] == "unknown"
    assert "not known yet" in fits["bare-llm"]["reason"]
    assert out["machine"]["total_ram"] == 16 * GIB

    table = cli("list", "--fits", "--ram", "4GB", "--vram", "0")
    assert table.returncode == 0, table.stderr
    row = next(line for line in table.stdout.splitlines() if line.startswith("planned-llm"))
    assert row.endswith("too large (5.5 GiB)")
    assert "FITS" in table.stdout.splitlines()[0]
    # Without --fits the listing is as before: no FITS column.
    assert "FITS" not in cli("list").stdout


def test_show_json_has_the_facts(cli: CliRunner, tmp_path: Path) -> None:
    import_models(cli, tmp_path)
    shown = _json(cli("show", "planned-llm", "--json"))
    assert shown["facts"]["block_count"] == 32 and shown["facts"]["weight_bytes"] == 4 * GIB
    assert _json(cli("show", "bare-llm", "--json"))["facts"] is None


def test_bad_sizes_and_contexts_are_refused_and_change_nothing(
    cli: CliRunner, tmp_path: Path, data_dir: Path
) -> None:
    import_models(cli, tmp_path)
    before = dump(data_dir / "clary.db") if (data_dir / "clary.db").exists() else None
    for args, words in (
        (["--ram", "sixteen"], "'sixteen' is not a size; write it like 16GB"),
        (["--vram", "8 GBs"], "write it like 16GB"),
        (["--context", "0"], "'0' is not a context length"),
    ):
        result = cli("fit", "planned-llm", *args)
        assert result.returncode == 2
        assert words in result.stderr
        assert "Traceback" not in result.stderr
    if before is not None:
        assert dump(data_dir / "clary.db") == before
    unknown = cli("fit", "no-such-model")
    assert unknown.returncode != 0 and "no-such-model" in unknown.stderr
    assert "Traceback" not in unknown.stderr
