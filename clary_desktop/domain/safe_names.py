"""Validation of names that come from catalogs and end up as paths on disk.

Everything a manifest says is untrusted: a file path like `../../x` or
`/etc/passwd`, or a model id like `CON`, must never become a path outside the
models folder or a name Windows refuses.
"""

from __future__ import annotations

import re
from pathlib import Path

_WINDOWS_RESERVED = {
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}  # fmt: skip
_FORBIDDEN_CHARS = set('<>:"|?*\\')
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}$")
_TYPE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
MAX_PATH_LENGTH = 400


def _check_segment(segment: str, what: str) -> None:
    if segment in ("", ".", ".."):
        raise ValueError(f"{what} must not contain empty, '.' or '..' parts")
    if any(ord(c) < 32 for c in segment) or any(c in _FORBIDDEN_CHARS for c in segment):
        raise ValueError(f"{what} contains a character not allowed in file names")
    if segment.endswith((" ", ".")):
        raise ValueError(f"{what} has a part ending in a space or dot")
    if segment.split(".")[0].upper() in _WINDOWS_RESERVED:
        raise ValueError(f"{what} uses a reserved Windows name ({segment!r})")


def check_relative_file_path(value: str) -> str:
    """A file path inside a model folder: relative, `/`-separated, no escape."""
    what = f"file path {value!r}"
    if not value:
        raise ValueError("file path is empty")
    if len(value) > MAX_PATH_LENGTH:
        raise ValueError(f"{what} is longer than {MAX_PATH_LENGTH} characters")
    if "\\" in value:
        raise ValueError(f"{what} contains a backslash; use '/' between folders")
    if value.startswith("/") or re.match(r"^[A-Za-z]:", value):
        raise ValueError(f"{what} is absolute; it must be relative to the model folder")
    if ".." in value.split("/"):
        raise ValueError(f"{what} leaves the model folder")
    for segment in value.split("/"):
        _check_segment(segment, what)
    return value


def check_model_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(
            f"model id {value!r} must start with a letter or digit and use only letters, "
            "digits, '.', '_' and '-' (at most 128 characters)"
        )
    _check_segment(value, f"model id {value!r}")
    return value


def check_version(value: str) -> str:
    if not _VERSION_RE.match(value):
        raise ValueError(f"version {value!r} must use only letters, digits, '.', '+', '_' and '-'")
    _check_segment(value, f"version {value!r}")
    return value


def check_model_type(value: str) -> str:
    if not _TYPE_RE.match(value):
        raise ValueError(
            f"model type {value!r} must be lower-case letters, digits, '_' or '-' "
            "(for example llm, layout, ocr)"
        )
    return value


def safe_join(root: Path, *relative: str) -> Path:
    """`root/relative...`, refusing any result that resolves outside `root`.

    The folders on the way are resolved; the last part is not, so a model file may
    be a symbolic link the user chose (`import-file --as symlink`, a linked Hugging
    Face cache). Writers replace such a link (`os.replace`), never write through it.
    """
    base = root.resolve()
    joined = base.joinpath(*relative)
    if joined.name in ("", ".", ".."):
        target = joined.resolve()
    else:
        target = joined.parent.resolve() / joined.name
    if target != base and base not in target.parents:
        raise ValueError(f"{'/'.join(relative)!r} resolves outside {base}")
    return target
