"""A loopback server speaking the parts of the Hugging Face Hub protocol we use.

- `POST /api/models/<repo>/paths-info/<rev>`: sizes, git blob ids, LFS sha256;
- `GET /api/models/<repo>[/revision/<rev>]`: model info with siblings;
- `GET|HEAD /<repo>/resolve/<rev>/<path>`: small files served directly, LFS
  files as a 302 to a second "CDN" port, with X-Repo-Commit, ETag,
  X-Linked-Etag and X-Linked-Size, as the real Hub does.

- `GET /api/models?limit=N`: a list of models (what `sources test` asks).

Gated and private repos answer like the Hub (X-Error-Code), so huggingface_hub
raises its own error types. `outage = 503` makes every API and resolve request
answer that status (a Hub that is down behind its load balancer). The CDN is a
`BlobServer`, so faults can be injected behind the redirect:
`hub.cdn.fail_next(sha256, "reset:1000")`.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.support.fault_server import BlobServer

LFS_THRESHOLD = 10 * 1024


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class LargeFile:
    """A big LFS file kept on disk (benchmarks), with its digest known up front."""

    path: Path
    sha256: str

    def __len__(self) -> int:
        return self.path.stat().st_size


def _sha256(data: bytes | LargeFile) -> str:
    return data.sha256 if isinstance(data, LargeFile) else hashlib.sha256(data).hexdigest()


@dataclass
class Repo:
    repo_id: str
    revision: str
    files: dict[str, bytes | LargeFile] = field(default_factory=dict)
    gated: bool = False
    token: str | None = None  # private: only this bearer token may read it


class HubServer(BlobServer):
    def __init__(self, throttle: int | None = None) -> None:
        self.cdn = BlobServer(throttle=throttle)
        self.repos: dict[str, Repo] = {}
        self.outage: int | None = None
        super().__init__()

    @property
    def endpoint(self) -> str:
        return self.base_url

    def add_repo(
        self,
        repo_id: str,
        revision: str,
        files: dict[str, bytes | LargeFile],
        *,
        gated: bool = False,
        token: str | None = None,
    ) -> Repo:
        repo = Repo(repo_id, revision, dict(files), gated, token)
        self.repos[repo_id] = repo
        for path, data in files.items():
            if isinstance(data, LargeFile):
                self.cdn.add(data.sha256, file=data.path, etag=f'"{data.sha256}"')
            elif len(data) >= LFS_THRESHOLD:
                self.cdn.add(hashlib.sha256(data).hexdigest(), data)
            else:
                self.add(f"{repo_id}@{revision}/{path}", data, etag=f'"{git_blob_id(data)}"')
        return repo

    def close(self) -> None:
        super().close()
        self.cdn.close()

    # ---- protocol --------------------------------------------------------------------

    def handle_other(self, handler: BaseHTTPRequestHandler) -> bool:
        path = urllib.parse.urlsplit(handler.path).path
        if self.outage is not None:
            self._error(handler, self.outage, "Outage", "Service unavailable")
            self._record(handler, path, self.outage, 0)
            return True
        if path == "/api/models":
            self._json(handler, [{"id": repo_id} for repo_id in self.repos][:1])
            self._record(handler, path, 200, 0)
            return True
        if path.startswith("/api/models/"):
            return self._api(handler, urllib.parse.unquote(path.removeprefix("/api/models/")))
        if "/resolve/" in path:
            repo_id, _, rest = urllib.parse.unquote(path.lstrip("/")).partition("/resolve/")
            revision, _, file_path = rest.partition("/")
            return self._resolve(handler, repo_id, revision, file_path)
        return False

    def _access(self, handler: BaseHTTPRequestHandler, repo_id: str) -> Repo | None:
        """The repo, or None after answering with the Hub's error."""
        repo = self.repos.get(repo_id)
        auth = handler.headers.get("Authorization", "")
        if repo is not None and repo.token is not None and auth != f"Bearer {repo.token}":
            repo = None  # the Hub hides private repos
        if repo is None:
            self._error(handler, 401 if not auth else 404, "RepoNotFound", "Repository not found")
            return None
        if repo.gated and not auth:
            self._error(handler, 401, "GatedRepo", "Access to this model is restricted")
            return None
        return repo

    def _api(self, handler: BaseHTTPRequestHandler, rest: str) -> bool:
        if "/paths-info/" in rest:
            repo_id, _, revision = rest.partition("/paths-info/")
            repo = self._access(handler, repo_id)
            if repo is None:
                return True
            if revision != repo.revision:
                self._error(handler, 404, "RevisionNotFound", "Invalid rev id")
                return True
            length = int(handler.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(handler.rfile.read(length).decode())
            entries = []
            for path in form.get("paths", []):
                data = repo.files.get(path)
                if data is None:
                    continue
                oid = "0" * 40 if isinstance(data, LargeFile) else git_blob_id(data)
                entry = {"type": "file", "path": path, "size": len(data), "oid": oid}
                if len(data) >= LFS_THRESHOLD:
                    entry["lfs"] = {"oid": _sha256(data), "size": len(data), "pointerSize": 134}
                entries.append(entry)
            self._json(handler, entries)
            return True
        repo_id, _, revision = rest.partition("/revision/")
        repo = self._access(handler, repo_id)
        if repo is None:
            return True
        self._json(
            handler,
            {
                "id": repo.repo_id,
                "modelId": repo.repo_id,
                "sha": repo.revision,
                "private": repo.token is not None,
                "gated": repo.gated,
                "siblings": [{"rfilename": p} for p in repo.files],
            },
        )
        return True

    def _resolve(
        self, handler: BaseHTTPRequestHandler, repo_id: str, revision: str, file_path: str
    ) -> bool:
        repo = self._access(handler, repo_id)
        if repo is None:
            return True
        data = repo.files.get(file_path) if revision == repo.revision else None
        if data is None:
            self._error(handler, 404, "EntryNotFound", "Entry not found")
            return True
        common = {"X-Repo-Commit": repo.revision}
        if len(data) < LFS_THRESHOLD:
            self.serve_blob(handler, f"{repo_id}@{revision}/{file_path}", common)
            return True
        sha = _sha256(data)
        handler.send_response(302)
        handler.send_header("Location", self.cdn.url(sha))
        handler.send_header("X-Repo-Commit", repo.revision)
        handler.send_header("X-Linked-Etag", f'"{sha}"')
        handler.send_header("X-Linked-Size", str(len(data)))
        handler.send_header("ETag", f'"{sha}"')
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        self._record(handler, file_path, 302, 0)
        return True

    @staticmethod
    def _json(handler: BaseHTTPRequestHandler, value: object) -> None:
        body = json.dumps(value).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    @staticmethod
    def _error(handler: BaseHTTPRequestHandler, status: int, code: str, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        handler.send_response(status)
        handler.send_header("X-Error-Code", code)
        handler.send_header("X-Error-Message", message)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
