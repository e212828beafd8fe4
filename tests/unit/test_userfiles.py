"""Reading a file a user named: only a regular file, and never more than the cap."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

import pytest

from clary_desktop.userfiles import FileProblem, UserFileError, read_user_file

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


def refused(path: Path, limit: int = 1024) -> UserFileError:
    with pytest.raises(UserFileError) as caught:
        read_user_file(path, limit)
    assert str(caught.value) == f"{path}: {caught.value.detail}"
    return caught.value


def test_a_regular_file_is_read_whole_up_to_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b"x" * 1500)
    assert read_user_file(path, 1500) == b"x" * 1500
    (tmp_path / "empty").write_bytes(b"")
    assert read_user_file(tmp_path / "empty", 1024) == b""
    error = refused(path, limit=1000)
    assert error.problem is FileProblem.TOO_LARGE
    assert error.detail == "is too large (1.5 kB; the limit is 1 kB)"


def test_missing_and_folders(tmp_path: Path) -> None:
    assert refused(tmp_path / "nope").problem is FileProblem.MISSING
    assert refused(tmp_path / "nope" / "deeper").detail == "no such file"
    error = refused(tmp_path)
    assert (error.problem, error.detail) == (
        FileProblem.NOT_REGULAR,
        "is a folder, not a regular file",
    )


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_device_that_reads_forever_is_refused_before_reading(tmp_path: Path) -> None:
    """/dev/zero has size 0, so a cap on the size alone let it fill the memory."""
    error = refused(Path("/dev/zero"), limit=1 << 40)
    assert (error.problem, error.detail) == (
        FileProblem.NOT_REGULAR,
        "is a device, not a regular file",
    )
    link = tmp_path / "innocent.json"
    link.symlink_to("/dev/zero")
    assert refused(link).detail == "is a device, not a regular file"


@needs_fifo
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    error = refused(fifo)
    assert error.detail == "is a named pipe (FIFO), not a regular file"


def test_a_socket_is_refused() -> None:
    # A short folder of its own: AF_UNIX paths are limited to about 100 bytes.
    with tempfile.TemporaryDirectory(prefix="s", dir="/tmp") as folder:
        path = Path(folder) / "s.sock"
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(str(path))
            assert refused(path).detail == "is a socket, not a regular file"
        finally:
            server.close()


def _refused_as_nobody(path: Path) -> tuple[str, str]:
    """Root reads anything, so the check runs in a forked child that is user nobody."""
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.setgid(65534)
            os.setuid(65534)
            read_user_file(path, 1024)
            answer = "read"
        except UserFileError as error:
            answer = f"{error.problem.name}|{error.detail}"
        except BaseException as error:
            answer = f"other|{error!r}"
        os.write(writer, answer.encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as answer_pipe:
        answer = answer_pipe.read().decode()
    os.waitpid(child, 0)
    problem, _, detail = answer.partition("|")
    return problem, detail


def test_an_unreadable_file_says_why(tmp_path: Path) -> None:
    path = tmp_path / "secret.json"
    path.write_bytes(b"{}")
    path.chmod(0)
    try:
        if os.geteuid() == 0:
            assert _refused_as_nobody(path) == (
                FileProblem.UNREADABLE.name,
                "cannot be read (Permission denied)",
            )
        else:
            error = refused(path)
            assert (error.problem, error.detail) == (
                FileProblem.UNREADABLE,
                "cannot be read (Permission denied)",
            )
    finally:
        path.chmod(0o600)


@needs_fifo
@pytest.mark.timeout(60)
def test_every_reader_of_the_programs_own_files_refuses_a_pipe(tmp_path: Path) -> None:
    """Files in the data and config folders can be replaced too; none of them may hang."""
    from clary_desktop.domain.signing_keys import load_key_dir
    from clary_desktop.downloads.partial import read_sidecar
    from clary_desktop.errors import ClaryError
    from clary_desktop.licensing.ledger import Ledger, load_ledger
    from clary_desktop.settings import load_settings

    for name in ("state.json", "part.json", "settings.json", "keys/k.pub"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        os.mkfifo(tmp_path / name)
    assert load_ledger(tmp_path / "state.json") == Ledger()
    assert read_sidecar(tmp_path / "part.json") is None
    assert load_key_dir(tmp_path / "keys") == {}
    with pytest.raises(ClaryError, match=r"it is a named pipe \(FIFO\), not a regular file"):
        load_settings(tmp_path / "settings.json")
