"""nginx as a child process on 127.0.0.1, for benchmarks and tests needing a real server.

One process (`master_process off`, `daemon off`), so stopping it is one signal to one
pid and nothing can be left behind; it never switches user, so it reads files under a
private temporary folder even when the bench runs as root. The config, pid file, temp
folders and both logs live in a temporary prefix: the system's nginx config is never read.

The same folder of files is served under three locations:
    /full/NAME     unthrottled (sendfile)
    /limited/NAME  `limit_rate RATE` per request
    /mixed/NAME    a rate per connection: connections with an odd serial number
                   (`$connection`) get SLOW_RATE, the others RATE. Connections are numbered
                   in the order nginx accepts them, so a client that opens 8 connections
                   gets 4 slow and 4 fast ones, and a request keeps its connection's rate
                   for as long as the connection lives (keep-alive included).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.child_server import ChildServer

#: The Debian packages that bring each tool (the first one that installs wins).
PACKAGES: dict[str, tuple[str, ...]] = {
    "nginx": ("nginx-light", "nginx"),
    "aria2c": ("aria2",),
    "curl": ("curl",),
    "tinyproxy": ("tinyproxy",),
    "wget": ("wget",),
}
_SYSTEM_DIRS = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def find_tool(name: str) -> str | None:
    """The tool's path; nginx lives in /usr/sbin, which a user's PATH may lack."""
    return shutil.which(name) or shutil.which(name, path=_SYSTEM_DIRS)


def needed_tool(name: str) -> str:
    """The path of a tool a test cannot do without (`.ci/run` installs it); a missing
    one fails the test with how to get it, never skips it."""
    found = find_tool(name)
    if found is None:
        pytest.fail(
            f"{name} is not installed (as root: apt-get install -y {PACKAGES[name][0]}; "
            ".ci/run installs it)"
        )
    return found


def require_tools(*names: str) -> dict[str, str]:
    """For the benchmarks: {name: path} of every tool. A missing one is installed from
    Debian packages when running as root; otherwise, or when that fails, the benchmark
    is skipped with one line saying what is missing and how to get it."""
    missing = [name for name in names if not find_tool(name)]
    if missing and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        _apt_install(missing)
        missing = [name for name in names if not find_tool(name)]
    if missing:
        packages = " ".join(PACKAGES[name][0] for name in missing)
        reason = (
            f"benchmark skipped: {', '.join(missing)} not installed "
            f"(as root: apt-get install -y {packages})"
        )
        print(f"\n{reason}")
        pytest.skip(reason)
    return {name: str(find_tool(name)) for name in names}


def _apt_install(tools: list[str]) -> None:
    print(f"\ninstalling {', '.join(tools)} from Debian packages (apt-get) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    # Installing nginx starts the system's nginx service where an init system allows it;
    # a policy-rc.d that says "no" keeps that daemon (on port 80) from being left behind.
    policy = Path("/usr/sbin/policy-rc.d")
    made_policy = not policy.exists()
    if made_policy:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        subprocess.run(["apt-get", "update"], timeout=600, check=False, **quiet)
        for tool in tools:
            for package in PACKAGES[tool]:
                install = ["apt-get", "install", "-y", "--no-install-recommends", package]
                if subprocess.run(install, timeout=900, check=False, **quiet).returncode == 0:
                    break
    finally:
        if made_policy:
            policy.unlink(missing_ok=True)


def parse_rate(rate: str) -> int:
    """Bytes per second of an nginx size such as "20m" (nginx counts k and m in 1024s)."""
    units = {"k": 2**10, "m": 2**20, "g": 2**30}
    unit = units.get(rate[-1].lower(), 1)
    return int(float(rate[:-1] if unit > 1 else rate) * unit)


_CONFIG = """\
daemon off;
master_process off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    map $connection $clary_bench_rate {{
        "~[13579]$" {slow_rate};
        default {rate};
    }}
    server {{
        listen 127.0.0.1:{port}{ssl};
        {tls}
        {upstream}
        location /full/ {{ alias {files}/; }}
        location /limited/ {{ alias {files}/; limit_rate {rate}; }}
        location /mixed/ {{ alias {files}/; limit_rate $clary_bench_rate; }}
    }}
}}
"""


class NginxServer(ChildServer):
    """`with NginxServer(nginx, files_dir) as server: server.url("a.bin", "limited")`."""

    program = "nginx"

    def __init__(
        self,
        nginx: str,
        files: Path,
        *,
        rate: str = "20m",
        slow_rate: str = "2m",
        tls: tuple[Path, Path] | None = None,
        upstream: str | None = None,
    ) -> None:
        """`tls`: (certificate chain, key) PEM files: serve HTTPS instead of HTTP.
        `upstream`: an http://host:port every other path is passed to (nginx in front
        of a test server, as a company's TLS front end would be)."""
        super().__init__()
        self.nginx = nginx
        self.files = files
        self.rate = rate
        self.slow_rate = slow_rate
        self.tls = tls
        self.upstream = upstream

    def url(self, name: str, location: str = "full") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}/{location}/{name}"

    def __enter__(self) -> NginxServer:
        super().__enter__()
        return self

    def command(self, prefix: Path) -> list[str]:
        config = prefix / "nginx.conf"
        config.write_text(
            _CONFIG.format(
                prefix=prefix,
                files=self.files.resolve(),
                port=self.port,
                rate=self.rate,
                slow_rate=self.slow_rate,
                ssl=" ssl" if self.tls else "",
                upstream=(
                    f"location / {{ proxy_pass {self.upstream}; proxy_buffering off; "
                    "proxy_http_version 1.1; }"
                    if self.upstream
                    else ""
                ),
                tls=(
                    f"ssl_certificate {self.tls[0]}; ssl_certificate_key {self.tls[1]};"
                    if self.tls
                    else ""
                ),
            )
        )
        # -e: the log for errors before the config is read (else /var/log/nginx).
        return [self.nginx, "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")]

    def port_was_taken(self) -> bool:
        return "Address already in use" in self.log_text()

    def log(self) -> Path | None:
        return self.prefix / "error.log" if self.prefix is not None else None
