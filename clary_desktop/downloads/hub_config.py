"""Which Hub to ask and with what token. A module of its own, free of the HTTP libraries,
because everything that may reach the Hub carries one, also when it never does."""

from __future__ import annotations

import os
from dataclasses import KW_ONLY, dataclass, field

from clary_desktop.network.config import NetworkConfig
from clary_desktop.settings import Settings, Source

DEFAULT_HUB_ENDPOINT = "https://huggingface.co"


@dataclass(frozen=True)
class HubConfig:
    endpoint: str
    token: str | None
    _: KW_ONLY  # the rest by name: a NetworkConfig must never land in a text field
    # Where the user sets this Hub's token, for messages.
    token_place: str = "a Hub token (the hub_token setting or HF_TOKEN)"
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

    @classmethod
    def for_source(
        cls, source: Source, settings: Settings, network: NetworkConfig | None = None
    ) -> HubConfig:
        """A Hub source's endpoint and token: the default Hub's from the hub_endpoint and
        hub_token settings (else HF_ENDPOINT, HF_TOKEN), any other's only its own."""
        if source.url is None:
            return cls.from_settings(settings.hub_endpoint, settings.hub_token, network)
        return cls(
            endpoint=source.url.rstrip("/"),
            token=source.token or None,
            token_place=f"the token of the source '{source.name}'",
            network=network or NetworkConfig(),
        )
