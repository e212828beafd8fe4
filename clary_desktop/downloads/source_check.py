"""Is a download source there, and does it answer like one? For `sources test` and the
Settings dialog's Test button.

A Hub source is asked for one model through the Hub's API (`GET /api/models?limit=1`,
with the source's own token): a JSON answer means it speaks the API. A URL mirror is
asked `HEAD <address>/`: any HTTP answer means it is there (a server that lists no
folders may say 403 or 404 for its root and still serve every file).
"""

from __future__ import annotations

import requests

from clary_desktop.domain.source_values import CheckState, SourceCheck
from clary_desktop.downloads.hub_config import HubConfig
from clary_desktop.downloads.transfer import NETWORK_ERRORS, TransferOptions, describe_network_error
from clary_desktop.network.config import NetworkConfig
from clary_desktop.network.http import new_session
from clary_desktop.settings import Settings, Source

TIMEOUT = (10.0, 20.0)


def check_source(source: Source, settings: Settings) -> SourceCheck:
    """Blocks for up to half a minute: call it off the GUI thread."""
    network = NetworkConfig.from_settings(settings)
    hub = HubConfig.for_source(source, settings, network) if source.kind == "hub" else None
    address = hub.endpoint if hub is not None else str(source.url)
    with new_session(network) as session:
        state: CheckState
        try:
            if hub is not None:
                state, detail = _check_hub(session, hub)
            else:
                state, detail = _check_mirror(session, address)
        except NETWORK_ERRORS as error:
            state, detail = "unreachable", f"Cannot reach {address}: {_reason(error)}."
    return SourceCheck(
        name=source.name, kind=source.kind, address=address, state=state, detail=detail
    )


def _check_hub(session: requests.Session, hub: HubConfig) -> tuple[CheckState, str]:
    url = f"{hub.endpoint}/api/models"
    headers = {"Authorization": f"Bearer {hub.token}"} if hub.token else {}
    # No redirects: the token must not follow one to another host, and a Hub API
    # answers in place.
    with session.get(
        url, params={"limit": "1"}, headers=headers, timeout=TIMEOUT, allow_redirects=False
    ) as response:
        status = response.status_code
        if status in (401, 403):
            return "doubtful", (
                f"It answered but refused access (HTTP {status}): check the source's token."
            )
        if status == 404 and response.headers.get("X-Error-Code"):
            # The Hub's own error words: a mirror that does not list models (some don't).
            return "works", "It answers like a Hugging Face Hub (it lists no models)."
        if status != 200:
            return "doubtful", (
                f"It answered HTTP {status} to a Hub API request ({url}): the address may "
                "not be a Hugging Face Hub or a mirror of one."
            )
        try:
            response.json()
        except ValueError:
            return "doubtful", (
                f"It answered {url} with something other than JSON: the address may not be "
                "a Hugging Face Hub or a mirror of one."
            )
    return "works", "It answers the Hugging Face Hub API."


def _check_mirror(session: requests.Session, base: str) -> tuple[CheckState, str]:
    with session.head(f"{base}/", timeout=TIMEOUT, allow_redirects=True) as response:
        status = response.status_code
    if status >= 500:
        return "doubtful", f"It answered HTTP {status} (a server error): downloads may fail."
    if status >= 400:
        return "works", (
            f"It answered (HTTP {status} for its top folder, which is normal for a server "
            "that lists no folders); files are looked for under host/path, as wget -x "
            "lays them out."
        )
    return "works", "It answered; files are looked for under host/path, as wget -x lays them out."


def _reason(error: BaseException) -> str:
    text = str(error).lower()
    if any(words in text for words in _UNKNOWN_HOST):
        return "its host name is not known (check the address, or the network's DNS)"
    return describe_network_error(error, TransferOptions(stall_seconds=TIMEOUT[1]))


_UNKNOWN_HOST = (
    "name or service not known",
    "nodename nor servname",
    "getaddrinfo failed",
    "failed to resolve",
    "no address associated",
    "temporary failure in name",
)
