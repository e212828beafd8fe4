"""Model facts parsed from the first bytes of a file: GGUF and safetensors headers.

Both parsers read from a buffer that may hold only the start of the file (the bytes an
HTTP Range request returned). When the header runs past the buffer they raise
`NeedMoreBytes` with the length they need so far; the caller fetches more and parses
again. Nothing is allocated from a declared length or count: arrays are skipped in
place, and every length is checked against the buffer and against the caps below, so a
hostile header costs at most the bytes it actually sent.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clary_desktop.domain.model_facts import FactsSource, FileFacts, ModelFacts

GGUF_MAGIC = b"GGUF"
#: The largest GGUF header (metadata + tensor infos) read: real ones with a 256k-token
#: vocabulary take about 10 MiB.
MAX_GGUF_HEADER = 64 * 1024 * 1024
#: The safetensors format caps its JSON header at 100 MB.
MAX_SAFETENSORS_HEADER = 100 * 1000 * 1000
_MAX_KEY = 65_536
_MAX_COUNT = 2**32  # keys, tensors, array items: far beyond any real header
_MAX_NESTING = 8
_MAX_DIMS = 8  # GGML tensors have at most 4
_SAFETENSORS_DTYPE_BYTES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E5M2": 1,
    "F8_E4M3": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "F64": 8,
    "I64": 8,
    "U64": 8,
}
_MAX_TOTAL = 2**63 - 1


class NeedMoreBytes(Exception):
    """The header continues past the buffer: `needed` bytes from the start (at least)."""

    def __init__(self, needed: int) -> None:
        super().__init__(needed)
        self.needed = needed


class HeaderError(ValueError):
    """The bytes are not a header this program reads; the message says why, in plain words."""


# ---- GGUF ---------------------------------------------------------------------------

# GGUF value types: fixed-size ones by struct format.
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q"}
_SCALARS |= {11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_WANTED_SUFFIXES = (
    ".block_count",
    ".context_length",
    ".embedding_length",
    ".attention.head_count",
    ".attention.head_count_kv",
    ".attention.key_length",
    ".attention.value_length",
)
_WANTED_KEYS = {
    "general.architecture",
    "general.name",
    "general.size_label",
    "general.file_type",
    "general.alignment",
}
_PER_LAYER_ARRAY_MAX = 4096  # head counts may be given per layer


class _Cursor:
    def __init__(self, data: bytes | memoryview) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def take(self, size: int) -> memoryview:
        end = self.pos + size
        if end > len(self.data):
            raise NeedMoreBytes(end)
        view = self.data[self.pos : end]
        self.pos = end
        return view

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def count(self, what: str) -> int:
        value = int(self.unpack("<Q"))
        if value > _MAX_COUNT:
            raise HeaderError(f"the GGUF header declares {value:,} {what}, which no model has")
        return value

    def string(self, limit: int, what: str) -> bytes:
        length = int(self.unpack("<Q"))
        if length > limit:
            raise HeaderError(f"the GGUF header declares a {length:,}-byte {what}")
        return bytes(self.take(length))

    def skip_string(self) -> None:
        length = int(self.unpack("<Q"))
        if length > MAX_GGUF_HEADER:
            raise HeaderError(f"the GGUF header declares a {length:,}-byte string")
        self.take(length)


def _value(cursor: _Cursor, kind: int, keep: bool, depth: int = 0) -> Any:
    """Read one value; `keep` False skips it (arrays and strings are never kept whole)."""
    if depth > _MAX_NESTING:
        raise HeaderError("the GGUF header nests arrays deeper than any model does")
    if kind in _SCALARS:
        return cursor.unpack(_SCALARS[kind])
    if kind == _STRING:
        if not keep:
            cursor.skip_string()
            return None
        return cursor.string(_MAX_KEY, "text value").decode("utf-8", "replace")
    if kind == _ARRAY:
        item = int(cursor.unpack("<I"))
        count = cursor.count("array items")
        if item in _SCALARS:
            size = struct.calcsize(_SCALARS[item])
            if keep and count <= _PER_LAYER_ARRAY_MAX:
                return list(
                    struct.unpack(f"<{count}{_SCALARS[item][1]}", cursor.take(size * count))
                )
            cursor.take(size * count)
            return None
        if item == _STRING:
            for _ in range(count):
                cursor.skip_string()
            return None
        if item == _ARRAY:
            for _ in range(count):
                _value(cursor, _ARRAY, False, depth + 1)
            return None
        raise HeaderError(f"the GGUF header holds an array of unknown type {item}")
    raise HeaderError(f"the GGUF header holds a value of unknown type {kind}")


def parse_gguf(
    data: bytes | memoryview, path: str = "", file_size: int | None = None
) -> ModelFacts:
    """The facts of one GGUF file from its first bytes (NeedMoreBytes, HeaderError).

    Weight bytes are the tensor data's size, from each tensor's type and shape; when a
    tensor type is unknown to this program, the file size minus the data offset."""
    cursor = _Cursor(data)
    if bytes(cursor.take(4)) != GGUF_MAGIC:
        raise HeaderError("the file does not start like a GGUF file (wrong magic bytes)")
    version = int(cursor.unpack("<I"))
    if version not in (2, 3):
        raise HeaderError(f"GGUF version {version} is not one this program reads (2 or 3)")
    tensor_count = cursor.count("tensors")
    kv_count = cursor.count("metadata keys")
    values: dict[str, Any] = {}
    for _ in range(kv_count):
        key = cursor.string(_MAX_KEY, "key").decode("utf-8", "replace")
        kind = int(cursor.unpack("<I"))
        wanted = key in _WANTED_KEYS or key.endswith(_WANTED_SUFFIXES)
        found = _value(cursor, kind, wanted)
        if wanted and found is not None:
            values[key] = found
    parameters = 0
    sized_bytes: int | None = 0
    block_sizes = _ggml_block_sizes()
    for _ in range(tensor_count):
        cursor.skip_string()
        dims = int(cursor.unpack("<I"))
        if dims > _MAX_DIMS:
            raise HeaderError(f"the GGUF header declares a tensor with {dims} dimensions")
        shape = struct.unpack(f"<{dims}Q", cursor.take(8 * dims))
        ggml_type = int(cursor.unpack("<I"))
        cursor.unpack("<Q")  # offset in the data section
        elements = math.prod(shape)
        parameters += elements
        block = block_sizes.get(ggml_type)
        if block is None or sized_bytes is None:
            sized_bytes = None
        else:
            sized_bytes += elements // block[0] * block[1]
        if parameters > _MAX_TOTAL:
            raise HeaderError("the GGUF header declares more parameters than any model has")
    alignment = values.get("general.alignment", 32)
    if not isinstance(alignment, int) or alignment <= 0:
        alignment = 32
    data_start = -(-cursor.pos // alignment) * alignment
    if sized_bytes is None and file_size is not None:
        sized_bytes = max(file_size - data_start, 0)
    return _gguf_facts(values, path, parameters or None, sized_bytes)


def _ggml_block_sizes() -> dict[int, tuple[int, int]]:
    """(elements per block, bytes per block) of every GGML tensor type the gguf package knows."""
    # gguf (with numpy) is loaded only when a header is parsed.
    from gguf import GGML_QUANT_SIZES

    return {int(kind): (int(size[0]), int(size[1])) for kind, size in GGML_QUANT_SIZES.items()}


def _gguf_facts(
    values: dict[str, Any], path: str, parameters: int | None, weight_bytes: int | None
) -> ModelFacts:
    arch = values.get("general.architecture")
    arch = arch if isinstance(arch, str) else None

    def number(suffix: str) -> int | None:
        found = values.get(f"{arch}.{suffix}") if arch else None
        if isinstance(found, list):  # per layer: the largest (an upper bound)
            found = max((v for v in found if isinstance(v, int)), default=None)
        return int(found) if isinstance(found, int) and not isinstance(found, bool) else None

    file_type = values.get("general.file_type")
    file_type = file_type if isinstance(file_type, int) else None
    name, size_label = values.get("general.name"), values.get("general.size_label")
    return ModelFacts(
        format="gguf",
        architecture=arch,
        name=name if isinstance(name, str) else None,
        size_label=size_label if isinstance(size_label, str) else None,
        block_count=number("block_count"),
        context_length=number("context_length"),
        embedding_length=number("embedding_length"),
        head_count=number("attention.head_count"),
        head_count_kv=number("attention.head_count_kv"),
        key_length=number("attention.key_length"),
        value_length=number("attention.value_length"),
        file_type=file_type,
        quantization=quantization_name(file_type),
        weight_bytes=weight_bytes,
        parameter_count=parameters,
        files=[
            FileFacts(
                path=path, format="gguf", weight_bytes=weight_bytes, parameter_count=parameters
            )
        ],
    )


def quantization_name(file_type: int | None) -> str | None:
    """llama.cpp's name of a GGUF `general.file_type` (15 -> "Q4_K_M")."""
    if file_type is None:
        return None
    # gguf (with numpy) is loaded only when a header is parsed.
    from gguf import LlamaFileType

    try:
        return LlamaFileType(file_type).name.removeprefix("MOSTLY_")
    except ValueError:
        return f"type {file_type}"


# ---- safetensors --------------------------------------------------------------------


def parse_safetensors(data: bytes | memoryview, path: str = "") -> ModelFacts:
    """Exact parameter count and weight bytes from a safetensors header (8-byte
    little-endian length, then that many bytes of JSON); NeedMoreBytes, HeaderError."""
    cursor = _Cursor(data)
    length = int(cursor.unpack("<Q"))
    if length > MAX_SAFETENSORS_HEADER:
        raise HeaderError(
            f"the safetensors header declares {length:,} bytes, more than the format allows"
        )
    if length < 2:
        raise HeaderError("the safetensors header is empty")
    raw = bytes(cursor.take(length))
    try:
        header = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise HeaderError("the safetensors header is not valid JSON") from None
    if not isinstance(header, dict):
        raise HeaderError("the safetensors header is not a JSON object")
    parameters = weight = 0
    for name, tensor in header.items():
        if name == "__metadata__":
            continue
        elements, size = _tensor_size(name, tensor)
        parameters += elements
        weight += size
        if weight > _MAX_TOTAL or parameters > _MAX_TOTAL:
            raise HeaderError("the safetensors header declares more bytes than any model has")
    return ModelFacts(
        format="safetensors",
        weight_bytes=weight,
        parameter_count=parameters,
        files=[
            FileFacts(
                path=path, format="safetensors", weight_bytes=weight, parameter_count=parameters
            )
        ],
    )


def _tensor_size(name: str, tensor: Any) -> tuple[int, int]:
    if not isinstance(tensor, dict):
        raise HeaderError(f"the safetensors header's tensor {name!r} is not an object")
    shape, dtype, offsets = tensor.get("shape"), tensor.get("dtype"), tensor.get("data_offsets")
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= _MAX_TOTAL for d in shape
    ):
        raise HeaderError(f"the safetensors header's tensor {name!r} has no valid shape")
    elements = math.prod(shape)
    if dtype in _SAFETENSORS_DTYPE_BYTES:
        return elements, elements * _SAFETENSORS_DTYPE_BYTES[dtype]
    # A dtype this program does not know: its byte range in the file says its size.
    if (
        isinstance(offsets, list)
        and len(offsets) == 2
        and all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
        and 0 <= offsets[0] <= offsets[1]
    ):
        return elements, offsets[1] - offsets[0]
    raise HeaderError(f"the safetensors header's tensor {name!r} has an unknown dtype {dtype!r}")


# ---- either -------------------------------------------------------------------------

Parser = Callable[[memoryview, str, "int | None"], ModelFacts]


def parser_for(path: str) -> Parser | None:
    """The header parser for a weight file by its name, or None for other files."""
    if path.endswith(".gguf"):
        return lambda data, name, size: parse_gguf(data, name, size)
    if path.endswith(".safetensors"):
        return lambda data, name, _size: parse_safetensors(data, name)
    return None


def combine(parts: list[ModelFacts], source: FactsSource) -> ModelFacts:
    """One version's facts from its files' (shards add their weights; the shape comes
    from the file that states it)."""
    if not parts:
        raise HeaderError("the version has no GGUF or safetensors file")
    shaped = next((p for p in parts if p.architecture), parts[0])
    weights = [p.weight_bytes for p in parts]
    counts = [p.parameter_count for p in parts]
    return shaped.model_copy(
        update={
            "weight_bytes": None if None in weights else sum(w or 0 for w in weights),
            "parameter_count": None if None in counts else sum(c or 0 for c in counts),
            "files": [f for p in parts for f in p.files],
            "source": source,
        }
    )


def read_file_facts(
    path: Path, name: str, first_read: int = 1024 * 1024, kind: str | None = None
) -> ModelFacts:
    """One file's facts from its header on disk (HeaderError when unreadable), reading
    only as far as the header goes. The parser follows the file's `name`, or `kind`
    ("gguf", "safetensors") when the caller knows better (a GGUF with another suffix)."""
    parser = parser_for(f".{kind}" if kind else name)
    if parser is None:
        raise HeaderError(f"{name} is neither a GGUF nor a safetensors file")
    size = path.stat().st_size
    want = min(first_read, size)
    with path.open("rb") as handle:
        buffer = handle.read(want)
        while True:
            try:
                return parser(memoryview(buffer), name, size)
            except NeedMoreBytes as more:
                if more.needed > size:
                    raise HeaderError(f"{name}: the file ends inside its own header") from None
                if more.needed > MAX_GGUF_HEADER + MAX_SAFETENSORS_HEADER:
                    raise HeaderError(f"{name}: the header is larger than any model's") from None
                want = min(size, max(more.needed, 2 * len(buffer)))
                buffer += handle.read(want - len(buffer))
