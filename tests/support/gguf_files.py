"""Real GGUF files for tests, written with the `gguf` package."""

from __future__ import annotations

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
