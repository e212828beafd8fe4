from pathlib import Path

import pytest

from clary_desktop.domain.safe_names import (
    check_model_id,
    check_relative_file_path,
    check_version,
    safe_join,
)


@pytest.mark.parametrize(
    "path",
    ["model.gguf", "vision-lora/adapter_model.safetensors", "a/b/c.json", "tokenizer.model.v3"],
)
def test_relative_paths_inside_the_model_folder_are_accepted(path: str) -> None:
    assert check_relative_file_path(path) == path


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../../x", "leaves the model folder"),
        ("a/../../x", "leaves the model folder"),
        ("/etc/passwd", "is absolute"),
        ("C:/Windows/system.ini", "is absolute"),
        ("c:evil", "is absolute"),
        ("a\\..\\b", "backslash"),
        ("", "empty"),
        ("a//b", "empty"),
        ("a/./b", "'.'"),
        ("dir/", "empty"),
        ("CON", "reserved Windows name"),
        ("sub/nul.txt", "reserved Windows name"),
        ("LPT1.bin", "reserved Windows name"),
        ("file.", "ending in a space or dot"),
        ("file ", "ending in a space or dot"),
        ("ab:c", "not allowed"),
        ("bad\x00name", "not allowed"),
        ("x" * 401, "longer than"),
    ],
)
def test_hostile_paths_are_refused_with_a_reason(path: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_relative_file_path(path)


@pytest.mark.parametrize("value", ["../x", "a/b", "", "-x", "con", "x" * 129, "a b"])
def test_model_ids_that_cannot_be_folder_names_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        check_model_id(value)


@pytest.mark.parametrize("value", ["1.0.0", "2024.05", "1.0.0+q4", "v2-beta"])
def test_versions_accepted(value: str) -> None:
    assert check_version(value) == value


@pytest.mark.parametrize("value", ["..", "1/2", "", "../1"])
def test_versions_refused(value: str) -> None:
    with pytest.raises(ValueError):
        check_version(value)


def test_safe_join_refuses_escapes_including_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "models"
    root.mkdir()
    assert safe_join(root, "llm", "m", "1.0.0", "a/b.bin") == root.resolve() / "llm/m/1.0.0/a/b.bin"
    with pytest.raises(ValueError, match="outside"):
        safe_join(root, "../outside")
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(ValueError, match="outside"):
        safe_join(root, "link", "x")
