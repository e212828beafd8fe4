"""What a model's own header says about its size and shape, known before the download.

GGUF headers give the transformer's shape (layers, heads, K/V heads, head sizes, the
trained context) and the exact size of the tensor data; safetensors headers give dtypes
and shapes, so the exact parameter count and weight bytes. The memory estimate
(`domain.memory_fit`) is computed from these facts alone.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class FactsSource(StrEnum):
    """Where a model's facts came from."""

    MANIFEST = "manifest"  # the catalog entry carried them (import, sync, shipped catalog)
    HEADER = "header"  # read from the file's header on the server (HTTP Range)
    FILE = "file"  # read from the installed file on disk


class FileFacts(BaseModel):
    """The facts of one file of a (possibly sharded) model."""

    model_config = ConfigDict(frozen=True)

    path: str
    format: str  # "gguf" or "safetensors"
    weight_bytes: int | None = None
    parameter_count: int | None = None


class ModelFacts(BaseModel):
    """Shape and size of one model version, summed over its weight files.

    Names follow the GGUF keys (`{arch}.block_count`, `{arch}.attention.head_count_kv`,
    ...). Any field may be None when the header (or the manifest) does not say.
    """

    model_config = ConfigDict(frozen=True)

    format: str  # "gguf", "safetensors" or "unknown"
    architecture: str | None = None
    #: GGUF `general.name` and `general.size_label` ("8B"), when the header has them.
    name: str | None = None
    size_label: str | None = None
    block_count: int | None = None
    context_length: int | None = None
    embedding_length: int | None = None
    head_count: int | None = None
    #: K/V heads (grouped-query attention); GGUF readers take `head_count` when absent.
    head_count_kv: int | None = None
    #: Per-head sizes of keys and values, when the header states them.
    key_length: int | None = None
    value_length: int | None = None
    file_type: int | None = None
    quantization: str | None = None
    #: Bytes of tensor data (GGUF) or of all tensors (safetensors): what must sit in memory.
    weight_bytes: int | None = None
    parameter_count: int | None = None
    files: list[FileFacts] = []
    source: FactsSource = FactsSource.HEADER

    @property
    def key_head_dim(self) -> int | None:
        """`key_length` when present, else embedding length / head count."""
        if self.key_length:
            return self.key_length
        if self.embedding_length and self.head_count:
            return self.embedding_length // self.head_count
        return None

    @property
    def value_head_dim(self) -> int | None:
        return self.value_length or self.key_head_dim

    @property
    def kv_heads(self) -> int | None:
        return self.head_count_kv or self.head_count

    def kv_bytes_per_token(self, bytes_per_element: int = 2) -> int | None:
        """Bytes the K and V caches take per token of context (f16 cache by default):
        n_layer x n_head_kv x (k_dim + v_dim) x 2 bytes, which is the usual
        2 x n_layer x n_head_kv x head_dim x 2 when keys and values have one size."""
        k_dim, v_dim, heads = self.key_head_dim, self.value_head_dim, self.kv_heads
        if not (self.block_count and heads and k_dim and v_dim):
            return None
        return self.block_count * heads * (k_dim + v_dim) * bytes_per_element

    def missing_for_estimate(self) -> list[str]:
        """The facts a GGUF memory estimate needs but lacks (empty when complete)."""
        missing = []
        if self.weight_bytes is None:
            missing.append("weight size")
        if self.format == "gguf":
            if not self.block_count:
                missing.append("block count")
            if not self.kv_heads:
                missing.append("head count")
            if not self.key_head_dim:
                missing.append("head size")
        return missing
