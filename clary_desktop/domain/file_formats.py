"""What a model file is, read from its first bytes: GGUF (with the metadata
llama.cpp writes in its header), safetensors, PyTorch zip, ONNX or unknown."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from clary_desktop.domain.model_headers import (
    GGUF_MAGIC,
    MAX_SAFETENSORS_HEADER,
    read_file_facts,
)


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
    if not 2 <= length <= MAX_SAFETENSORS_HEADER or head[8:9] != b"{":
        return False
    with path.open("rb") as handle:
        handle.seek(8)
        try:
            return isinstance(json.loads(handle.read(length)), dict)
        except (ValueError, UnicodeDecodeError):
            return False


def read_gguf_info(path: Path) -> GgufInfo:
    """Architecture, quantization, context length and parameter count from a GGUF header
    (HeaderError, a ValueError, when the header makes no sense)."""
    facts = read_file_facts(path, path.name, kind="gguf")
    return GgufInfo(
        architecture=facts.architecture,
        name=facts.name,
        quantization=facts.quantization,
        context_length=facts.context_length,
        parameter_count=facts.parameter_count,
        size_label=facts.size_label,
    )
