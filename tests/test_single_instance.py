"""One window per user and data directory: a later launch (a real second process running the real command) hands
its files to the running window and exits; what arrives on the socket is untrusted; a crashed window's lock and
socket do not block the next launch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalSocket
from pytestqt.qtbot import QtBot

from fashion_desktop.app.environment import instance_name
from fashion_desktop.app.single_instance import (
    HEADER,
    MAX_CONNECTIONS,
    MAX_MESSAGE_BYTES,
    MAX_PATHS,
    OK,
    READ_MS,
    SingleInstance,
    encode,
)
from tests.images import gradient
from tests.support import REPO


@pytest.fixture
def running(data_dir: Path) -> Iterator[tuple[SingleInstance, list[list[Path]]]]:
    """This test process as the running window: it holds the lock and listens; what it receives is recorded."""
    instance = SingleInstance(data_dir, instance_name(data_dir))
    assert instance.claim([]), "nothing else runs for this data directory"
    assert instance.listen()
    received: list[list[Path]] = []
    instance.received.connect(received.append)
    yield instance, received
    instance.close()


def launch(arguments: list[str], cwd: Path) -> subprocess.Popen[str]:
    """`fashion-desktop ARGUMENTS` as the desktop entry starts it: a new process (the data directory comes from the
    environment the fixtures set)."""
    return subprocess.Popen(
        [sys.executable, "-m", "fashion_desktop", *arguments],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(qtbot: QtBot, process: subprocess.Popen[str], timeout: int = 60000) -> tuple[int, str]:
    """Wait (turning this process's event loop, where the running instance answers) for `process` to exit."""
    qtbot.waitUntil(lambda: process.poll() is not None, timeout=timeout)
    _, err = process.communicate()
    return process.returncode, err


def exchange(qtbot: QtBot, name: str, data: bytes, timeout: int = 5000) -> bytes:
    """Send raw bytes to the running instance as a hostile local program could, and return its whole reply."""
    socket = QLocalSocket()
    reply = bytearray()
    socket.readyRead.connect(lambda: reply.extend(bytes(socket.readAll().data())))
    socket.connectToServer(name)
    qtbot.waitUntil(lambda: socket.state() == QLocalSocket.LocalSocketState.ConnectedState, timeout=timeout)
    socket.write(data)
    qtbot.waitUntil(lambda: socket.state() == QLocalSocket.LocalSocketState.UnconnectedState, timeout=timeout)
    socket.deleteLater()
    return bytes(reply)


def test_a_later_launch_hands_its_files_over_and_exits(
    qtbot: QtBot, running: tuple[SingleInstance, list[list[Path]]], tmp_path: Path
) -> None:
    _, received = running
    (tmp_path / "downloads").mkdir()
    photo = tmp_path / "downloads" / "photo one.jpg"
    gradient(60, 40, seed=1).save(photo)
    process = launch(["downloads/photo one.jpg", str(tmp_path / "notes.txt"), "https://shop.example/a.jpg"], tmp_path)
    code, err = finished(qtbot, process)
    assert code == 0, err
    assert received == [[photo, tmp_path / "notes.txt"]], "absolute paths; what they are is read by the window"
    assert "Cannot open https://shop.example/a.jpg" in err, "a web address is said by the launch, never handed over"


def test_hostile_messages_are_refused_and_the_window_keeps_listening(
    qtbot: QtBot, running: tuple[SingleInstance, list[list[Path]]], tmp_path: Path
) -> None:
    instance, received = running

    def framed(payload: bytes) -> bytes:
        return HEADER.pack(len(payload)) + payload

    def message(value: object) -> bytes:
        return framed(json.dumps(value).encode())

    hostile = {
        "too large": HEADER.pack(MAX_MESSAGE_BYTES + 1) + b"x" * 64,
        "not JSON": framed(b"hello"),
        "not UTF-8": framed(b'{"protocol": 1, "paths": ["/\xff"]}'),
        "nested to the stack's limit": framed(b"[" * 200_000 + b"]" * 200_000),
        "another protocol": message({"protocol": 2, "paths": ["/a.jpg"]}),
        "not an object": message(["/a.jpg"]),
        "no paths": message({"protocol": 1}),
        "a relative path": message({"protocol": 1, "paths": ["a.jpg"]}),
        "a NUL in a path": message({"protocol": 1, "paths": ["/a\0.jpg"]}),
        "a number for a path": message({"protocol": 1, "paths": [7]}),
        "an empty path": message({"protocol": 1, "paths": [""]}),
        "too long a path": message({"protocol": 1, "paths": ["/" + "x" * 5000]}),
        "too many paths": message({"protocol": 1, "paths": ["/a.jpg"] * (MAX_PATHS + 1)}),
    }
    for what, data in hostile.items():
        reply = exchange(qtbot, instance.name, data)
        assert reply.startswith(b"refused: ") and reply.endswith(b"\n"), (what, reply)
    assert received == []
    assert exchange(qtbot, instance.name, encode([str(tmp_path / "a.jpg")])) == OK
    assert received == [[tmp_path / "a.jpg"]]


def test_silent_and_surplus_connections_are_dropped(
    qtbot: QtBot, running: tuple[SingleInstance, list[list[Path]]]
) -> None:
    """A program that connects and sends nothing (or half a message) is cut off after READ_MS; connections beyond
    MAX_CONNECTIONS at once are cut off at once; then the window takes files again."""
    instance, received = running
    sockets = []
    for index in range(MAX_CONNECTIONS + 4):
        socket = QLocalSocket()
        socket.connectToServer(instance.name)
        assert socket.waitForConnected(1000)
        if index == 0:
            socket.write(HEADER.pack(100) + b"half")
        sockets.append(socket)

    def unconnected() -> int:
        return sum(s.state() == QLocalSocket.LocalSocketState.UnconnectedState for s in sockets)

    qtbot.waitUntil(lambda: unconnected() == 4, timeout=READ_MS // 2)
    started = time.monotonic()
    qtbot.waitUntil(lambda: unconnected() == len(sockets), timeout=READ_MS * 2)
    assert time.monotonic() - started > READ_MS / 1000 / 2, "the silent ones were given their time"
    assert received == []
    assert exchange(qtbot, instance.name, encode(["/a.jpg"])) == OK
    for socket in sockets:
        socket.deleteLater()


CRASHING_WINDOW = """
import sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from fashion_desktop.app.environment import instance_name
from fashion_desktop.app.single_instance import SingleInstance

app = QCoreApplication([])
data = Path(sys.argv[1])
instance = SingleInstance(data, instance_name(data))
assert instance.claim([]) and instance.listen()
print("listening", flush=True)
app.exec()
"""


def test_a_crashed_window_does_not_block_the_next_launch(qtbot: QtBot, data_dir: Path, tmp_path: Path) -> None:
    crashed = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WINDOW, str(data_dir)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert crashed.stdout is not None and crashed.stdout.readline() == "listening\n"
    os.kill(crashed.pid, signal.SIGKILL)
    crashed.wait()
    name = instance_name(data_dir)
    assert (data_dir / "instance.lock").exists(), "the crash left its lock"
    if sys.platform.startswith("linux"):
        assert Path(name).exists(), "and its socket file"

    instance = SingleInstance(data_dir, name)
    started = time.monotonic()
    try:
        assert instance.claim([]), "the dead window's lock is taken over"
        assert time.monotonic() - started < 2, "at once: the lock's process is gone"
        assert instance.listen(), "the dead window's socket is replaced"
        received: list[list[Path]] = []
        instance.received.connect(received.append)
        code, err = finished(qtbot, launch([str(tmp_path / "next.jpg")], tmp_path))
        assert code == 0, err
        assert received == [[tmp_path / "next.jpg"]]
    finally:
        instance.close()
    assert not (data_dir / "instance.lock").exists(), "a window that closes normally leaves no lock"


def test_each_data_directory_has_its_own_private_instance(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert instance_name(first) != instance_name(second)
    assert instance_name(first) == instance_name(tmp_path / "b" / ".." / "a")
    runtime = Path(tempfile.mkdtemp(prefix="run-"))  # short, as /run/user/UID is
    if sys.platform.startswith("linux"):
        assert Path(instance_name(first, {"XDG_RUNTIME_DIR": str(runtime)})).parent == runtime
        assert Path(instance_name(first, {})).parent == first, "never the shared /tmp"
        deep = tmp_path / ("d" * 120)
        assert Path(instance_name(deep, {"XDG_RUNTIME_DIR": str(runtime)})).parent == runtime
        assert len(os.fsencode(instance_name(deep, {}))) < 108, "a socket's path fits sun_path, or Qt's own name"
    runtime.rmdir()
