"""Loaded by Python at start-up when this folder is on PYTHONPATH (see
`tests.support.storage_env.no_network_env`): every internet socket connection
fails, and each attempt is written to the file named by CLARY_TEST_NETWORK_LOG,
so a test can prove a command never touched the network."""

import os
import socket

_log = os.environ.get("CLARY_TEST_NETWORK_LOG")
_connect = socket.socket.connect


def _blocked_connect(self, address):  # type: ignore[no-untyped-def]
    if self.family in (socket.AF_INET, socket.AF_INET6):
        if _log:
            with open(_log, "a", encoding="utf-8") as handle:
                handle.write(f"{address!r}\n")
        raise OSError(101, "network blocked by the test")
    return _connect(self, address)


socket.socket.connect = _blocked_connect  # type: ignore[method-assign]
