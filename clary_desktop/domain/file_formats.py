"""What a model file is, read from its first bytes: GGUF (with the metadata
llama.cpp writes in its header), safetensors, PyTorch zip, ONNX or unknown."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from pydantic import BaseModel, ConfigDict

GGUF_MAGIC = b"GGUF"
_SAFETENSORS_MAX_HEADER = 100 * 1024 * 1024


class GgufInfo(BaseModel):
    # defer_build: the schema is built on first use, not at import (start-up time);
    # most commands never use these values.
    model_config = ConfigDict(frozen=True, defer_build=True)

    architecture: str | None
    name: str | None
    quantization: str | None
    context_length: int | None
    parameter_count: int | None
    size_label: str | None


class FormatInfo(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    format: str  # gguf, safetensors, pytorch, onnx, unknown
    gguf: GgufInfo | None = None


def detect_format(path: Path) -> FormatInfo:
    with path.open("rb") as handle:
        head = handle.read(16)
    if head[:4] == GGUF_MAGIC:
        return FormatInfo(format="gguf", gguf=read_gguf_info(path))
    if _looks_like_safetensors(path, head):
        return FormatInfo(format="safetensors")
    if head[:4] == b"PK\x03\x04" and path.suffix in (".bin", ".pt", ".pth"):
        return FormatInfo(format="pytorch")
    if path.suffix == ".onnx":
        return FormatInfo(format="onnx")
    return FormatInfo(format="unknown")


def _looks_like_safetensors(path: Path, head: bytes) -> bool:
    """8 bytes of little-endian header length, then a JSON object."""
    if len(head) < 9:
        return False
    (length,) = struct.unpack("<Q", head[:8])
    if not 2 <= length <= _SAFETENSORS_MAX_HEADER or head[8:9] != b"{":
        return False
    with path.open("rb") as handle:
        handle.seek(8)
        try:
            return isinstance(json.loads(handle.read(length)), dict)
        except (ValueError, UnicodeDecodeError):
            return False


def read_gguf_info(path: Path) -> GgufInfo:
    """Architecture, quantization, context length and parameter count from a GGUF header."""
    from gguf import GGUFReader, LlamaFileType

    reader = GGUFReader(path, "r")

    def value(key: str) -> object | None:
        field = reader.fields.get(key)
        return field.contents() if field is not None else None

    def text(key: str) -> str | None:
        found = value(key)
        return found if isinstance(found, str) else None

    architecture = text("general.architecture")
    file_type = value("general.file_type")
    quantization = None
    if isinstance(file_type, int):
        try:
            quantization = LlamaFileType(file_type).name.removeprefix("MOSTLY_")
        except ValueError:
            quantization = f"type {file_type}"
    context = value(f"{architecture}.context_length") if architecture else None
    parameters = sum(int(t.n_elements) for t in reader.tensors) or None
    return GgufInfo(
        architecture=architecture,
        name=text("general.name"),
        quantization=quantization,
        context_length=int(context) if isinstance(context, int) else None,
        parameter_count=parameters,
        size_label=text("general.size_label"),
    )
