"""Where the bytes come from: a Hub repo at a pinned revision, or a plain URL.

huggingface_hub is used for metadata only (file sizes, LFS sha256, git blob ids,
resolve URLs, its error types). It reads HF_ENDPOINT at import time, so the
endpoint is always passed explicitly.
"""

from __future__ import annotations

from pathlib import Path

from clary_desktop.domain.layout import FileTask, VersionSpec, target_path
from clary_desktop.downloads.answers import same_origin
from clary_desktop.downloads.errors import DownloadFailed, RetryableError
from clary_desktop.downloads.hub_config import HubConfig
from clary_desktop.downloads.transfer import retry_after_seconds
from clary_desktop.network.problems import ProxyUnreachable, explain


def resolve_tasks(spec: VersionSpec, models_dir: Path, hub: HubConfig) -> list[FileTask]:
    """The files of `spec` with their URLs and expected size/sha256.

    Paths are checked before any network call, so an unsafe catalog entry never
    causes a request, let alone a write.
    """
    targets = {f.path: target_path(models_dir, spec, f.path) for f in spec.files}
    if spec.repo_id:
        return _hub_tasks(spec, targets, hub)
    return url_tasks(spec, targets)


def url_tasks(spec: VersionSpec, targets: dict[str, Path]) -> list[FileTask]:
    """The files of a plain-URL entry at the catalog's own addresses."""
    tasks = []
    for f in spec.files:
        url = f.url or (spec.download_url if len(spec.files) == 1 else None)
        if not url:
            raise DownloadFailed(
                f"The catalog entry {spec.model_id} {spec.version} gives no URL for "
                f"{f.path}. Fix or re-import the catalog entry."
            )
        tasks.append(FileTask(f.path, targets[f.path], url, f.size_bytes, f.sha256))
    return tasks


def _hub_tasks(spec: VersionSpec, targets: dict[str, Path], hub: HubConfig) -> list[FileTask]:
    places = hub_places(spec, targets, hub)
    tasks = []
    for f in spec.files:
        place = places[f.path]
        if isinstance(place, DownloadFailed):
            raise place
        tasks.append(place)
    return tasks


def hub_places(
    spec: VersionSpec, targets: dict[str, Path], hub: HubConfig, source: str = ""
) -> dict[str, FileTask | DownloadFailed]:
    """Each file of `spec` at the Hub `hub`: its task, or why this Hub cannot serve it
    (it lacks the file, or has another one under its name). A failure of the whole Hub
    is raised: RetryableError (retry it), DownloadFailed (it will not serve the repo).
    `source` names the source the tasks come from."""
    from huggingface_hub import HfApi, hf_hub_url

    # The Hub's client (and its HTTP library) loads only when a Hub repo is resolved.
    from clary_desktop.network.hub_client import use_for_hub

    use_for_hub(hub.network)
    assert spec.repo_id is not None
    revision = spec.revision or "main"
    api = HfApi(endpoint=hub.endpoint, token=hub.token or False)
    try:
        infos = api.get_paths_info(spec.repo_id, [f.path for f in spec.files], revision=revision)
    except Exception as error:  # huggingface_hub raises many types; map them in one place.
        raise hub_error(error, spec.repo_id, revision, hub) from None
    remote = {info.path: info for info in infos}
    places: dict[str, FileTask | DownloadFailed] = {}
    for f in spec.files:
        info = remote.get(f.path)
        if info is None or not hasattr(info, "size"):
            places[f.path] = DownloadFailed(
                f"The Hub repo {spec.repo_id} at revision {revision[:12]} has no file {f.path}. "
                "The catalog entry may be outdated; update the catalog."
            )
            continue
        lfs = getattr(info, "lfs", None)
        hub_sha = lfs.sha256 if lfs is not None else None
        hub_size = info.size
        if f.sha256 and hub_sha and f.sha256 != hub_sha:
            places[f.path] = DownloadFailed(
                f"The catalog and the Hub disagree on {f.path} of {spec.model_id} "
                f"(catalog sha256 {f.sha256}, Hub {hub_sha}). Update the catalog."
            )
            continue
        if f.size_bytes is not None and hub_size is not None and f.size_bytes != hub_size:
            places[f.path] = DownloadFailed(
                f"The catalog and the Hub disagree on the size of {f.path} of {spec.model_id} "
                f"({f.size_bytes} vs {hub_size} bytes). Update the catalog."
            )
            continue
        url = f.url or hf_hub_url(spec.repo_id, f.path, revision=revision, endpoint=hub.endpoint)
        # The token is for the Hub alone: a file the catalog sends elsewhere (another
        # host, another port, plain http) goes without it.
        headers = (
            {"Authorization": f"Bearer {hub.token}"}
            if hub.token and same_origin(url, hub.endpoint)
            else {}
        )
        places[f.path] = FileTask(
            path=f.path,
            target=targets[f.path],
            url=url,
            size_bytes=f.size_bytes if f.size_bytes is not None else hub_size,
            sha256=f.sha256 or hub_sha,
            # Small (non-LFS) files have no sha256 on the Hub, but their git
            # blob id is a sha1 over the content, which we check instead.
            git_blob_id=None if lfs is not None else getattr(info, "blob_id", None),
            headers=headers,
            source=source,
        )
    return places


def hub_error(error: Exception, repo_id: str, revision: str, hub: HubConfig) -> Exception:
    """One sentence saying what went wrong on the Hub and what to do."""
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    page = f"{hub.endpoint}/{repo_id}"
    plain = explain(error, hub.endpoint, hub.network.proxy_address_for(hub.endpoint))
    if isinstance(plain, ProxyUnreachable):
        return RetryableError(str(plain))
    if plain is not None:
        return plain
    if isinstance(error, GatedRepoError):
        return DownloadFailed(
            f"The Hub repo {repo_id} is gated: accept its terms at {page} while logged in, "
            f"then set {hub.token_place} and try again."
        )
    if isinstance(error, RevisionNotFoundError):
        return DownloadFailed(
            f"The Hub repo {repo_id} has no revision {revision[:12]}. "
            "The catalog entry may be outdated; update the catalog."
        )
    if isinstance(error, RepositoryNotFoundError):
        return DownloadFailed(
            f"The Hub has no repo {repo_id}, or it is private and needs a token. "
            f"Check the catalog entry, or set {hub.token_place}."
        )
    if isinstance(error, OfflineModeIsEnabled):
        return DownloadFailed(
            "Hub access is switched off (HF_HUB_OFFLINE is set). Unset it to download."
        )
    if isinstance(error, HfHubHTTPError) and error.response is not None:
        status = error.response.status_code
        if status == 407:  # a proxy between us and the Hub that is not ours to name
            return DownloadFailed(
                "A proxy refused the request to the Hub: it needs a user name and password. "
                "Set the proxy and its user in the settings."
            )
        if status in (401, 403):
            return DownloadFailed(
                f"The Hub refused access to {repo_id} (HTTP {status}). Check {hub.token_place}"
                "; if the repo is gated, accept its terms at "
                f"{page}."
            )
        if status == 429 or status >= 500:
            return RetryableError(f"the Hub answered HTTP {status}", _retry_after(error))
        return DownloadFailed(f"The Hub answered HTTP {status} for {repo_id}: {error}")
    return RetryableError(f"cannot reach the Hub at {hub.endpoint} ({type(error).__name__})")


def _retry_after(error: Exception) -> float | None:
    response = getattr(error, "response", None)
    return retry_after_seconds(response) if response is not None else None
