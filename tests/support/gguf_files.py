"""Real GGUF files for tests, written with the `gguf` package."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np


def write_gguf(
    path: Path,
    *,
    architecture: str = "llama",
    context_length: int = 4096,
    file_type: int = 15,
    name: str = "Tiny test model",
) -> Path:
    """A small but valid GGUF (file_type 15 is Q4_K_M) with two tensors (96 parameters)."""
    import gguf

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_name(name)
    writer.add_context_length(context_length)
    writer.add_file_type(file_type)
    writer.add_tensor("token_embd.weight", np.zeros((8, 8), dtype=np.float32))
    writer.add_tensor("output.weight", np.ones((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def write_llm_gguf(
    path: Path,
    *,
    block_count: int = 4,
    context_length: int = 2048,
    embedding_length: int = 64,
    head_count: int = 8,
    head_count_kv: int | list[int] = 2,
    key_length: int | None = None,
    value_length: int | None = None,
    vocab_size: int = 0,
    big_tensor_bytes: int = 0,
    architecture: str = "llama",
) -> tuple[Path, int]:
    """A GGUF with the shape llama.cpp reads for its KV cache; returns (path, weight bytes).

    `vocab_size` adds a token list (what makes real headers several MiB). With
    `big_tensor_bytes`, one F16 tensor of that many bytes is declared (the file's only
    one) and the file is extended to its full length as a sparse file: no data is
    written, so a multi-gigabyte model takes no disk space.
    """
    import gguf

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_name("Test LLM")
    writer.add_block_count(block_count)
    writer.add_context_length(context_length)
    writer.add_embedding_length(embedding_length)
    writer.add_head_count(head_count)
    writer.add_head_count_kv(head_count_kv)
    if key_length is not None:
        writer.add_key_length(key_length)
    if value_length is not None:
        writer.add_value_length(value_length)
    writer.add_file_type(1)  # MOSTLY_F16
    if vocab_size:
        writer.add_token_list([f"token-{i:07d}" for i in range(vocab_size)])
    tensors = {
        "token_embd.weight": np.zeros((16, embedding_length), dtype=np.float16),
        "output_norm.weight": np.ones(embedding_length, dtype=np.float32),
    }
    weight_bytes = sum(t.nbytes for t in tensors.values())
    if big_tensor_bytes:
        writer.add_tensor_info(
            "blk.0.ffn_up.weight", [big_tensor_bytes // 2], np.dtype(np.float16), big_tensor_bytes
        )
        weight_bytes = big_tensor_bytes  # the only tensor of this file
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        assert writer.fout is not None
        handle = writer.fout[0]
        header_end = handle.tell()
        writer.close()
        with path.open("r+b") as extend:
            extend.truncate(-(-header_end // 32) * 32 + big_tensor_bytes)
        return path, weight_bytes
    for name, tensor in tensors.items():
        writer.add_tensor(name, tensor)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path, weight_bytes


def kv_cache_bytes(
    block_count: int, context: int, head_count_kv: int, head_dim: int, bytes_per: int = 2
) -> int:
    """The issue's formula, written out once more for the tests to compare against."""
    return 2 * block_count * context * head_count_kv * head_dim * bytes_per


def raw_gguf(*, tensors: int = 0, keys: int = 0, version: int = 3, body: bytes = b"") -> bytes:
    """GGUF bytes written by hand, for headers no writer would produce (hostile ones)."""
    return b"GGUF" + struct.pack("<IQQ", version, tensors, keys) + body


def raw_key(name: bytes, value_type: int, value: bytes = b"") -> bytes:
    """One metadata entry: the key's length and bytes, the value's type, then `value`."""
    return struct.pack("<Q", len(name)) + name + struct.pack("<I", value_type) + value
