"""Which Hub to ask and with what token. A module of its own, free of the HTTP libraries,
because everything that may reach the Hub carries one, also when it never does."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from clary_desktop.network.config import NetworkConfig

DEFAULT_HUB_ENDPOINT = "https://huggingface.co"


@dataclass(frozen=True)
class HubConfig:
    endpoint: str
    token: str | None
    # The proxy and trust the Hub's metadata requests go with (the transfers' own).
    network: NetworkConfig = field(default_factory=NetworkConfig)

    @classmethod
    def from_settings(
        cls, endpoint: str | None, token: str | None, network: NetworkConfig | None = None
    ) -> HubConfig:
        chosen = endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_HUB_ENDPOINT
        return cls(
            endpoint=chosen.rstrip("/"),
            token=token or os.environ.get("HF_TOKEN") or None,
            network=network or NetworkConfig(),
        )
