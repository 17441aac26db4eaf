"""One window per user and data directory: a later launch hands its files to the running window and exits.

The first launch holds a lock file in the data directory for as long as it runs, and listens on a local socket
(QLocalServer: a Unix socket, a named pipe on Windows, for this user only) named after the user and the data
directory (`environment.instance_name`): two data directories are two instances. A later launch cannot take the
lock; it connects, sends its paths, waits for the running window's "ok" and exits. A crash leaves a lock whose
process is gone, which QLockFile takes over, and perhaps a socket file, which the new instance removes before it
listens (it holds the lock, so the socket is nobody's). The running window treats what arrives as untrusted: a size
limit, a time limit, one strict format, absolute paths only; what the paths hold is checked when they are opened
(`ui.open_request.read_paths`).
"""

from __future__ import annotations

import json
import logging
import struct
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path, PurePath

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from fashion_desktop.ui.open_request import MAX_PATH_CHARS

log = logging.getLogger("fashion_desktop.app")

PROTOCOL = 1
HEADER = struct.Struct(">I")  # the message's length in bytes, then the message: UTF-8 JSON
MAX_MESSAGE_BYTES = 1 << 20
MAX_PATHS = 10_000
MAX_CONNECTIONS = 16  # connections being read at once; more are dropped
READ_MS = 5_000  # a connection that has not sent its whole message by then is dropped
CONNECT_MS = 300
REPLY_MS = 10_000  # the running window answers once its event loop turns: allow for a busy moment
LOCKED_SECONDS = 10.0  # the lock is held but nobody listens for this long: its holder is not a working instance
OK = b"ok\n"
LOCK_FILE = "instance.lock"


class HandOverError(RuntimeError):
    """A window runs for this data directory but did not take the files."""


def encode(paths: Sequence[str]) -> bytes:
    payload = json.dumps({"protocol": PROTOCOL, "paths": list(paths)}).encode("ascii")  # lone surrogates escaped
    return HEADER.pack(len(payload)) + payload


def decode(payload: bytes) -> list[str]:
    """The paths of a message, or ValueError saying what is wrong with it."""
    try:
        message = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"not a message: {exc.__class__.__name__}") from None
    if not isinstance(message, dict) or message.get("protocol") != PROTOCOL:
        raise ValueError("not a Fashion Desktop message")
    paths = message.get("paths")
    if not isinstance(paths, list) or len(paths) > MAX_PATHS:
        raise ValueError("paths missing or too many")
    for path in paths:
        if not isinstance(path, str) or not 0 < len(path) <= MAX_PATH_CHARS or "\0" in path:
            raise ValueError("a path that is not one")
        if not PurePath(path).is_absolute():
            raise ValueError("a relative path")
    return paths


class SingleInstance(QObject):
    """`claim` (before any window) decides whether this process is the instance; the instance then `listen`s (once
    the QApplication exists) and announces what later launches opened."""

    received = Signal(object)  # list[Path]: absolute paths another launch was asked to open

    def __init__(self, data_dir: Path, name: str) -> None:
        super().__init__()
        self.name = name
        self.lock_file = data_dir / LOCK_FILE
        self._lock = QLockFile(str(self.lock_file))
        self._lock.setStaleLockTime(0)  # held for the whole session: stale only when its process is gone
        self._server: QLocalServer | None = None
        self._reading: dict[QLocalSocket, bytearray] = {}

    def claim(self, paths: Sequence[str]) -> bool:
        """True: this process is the instance. False: the running instance took `paths` (this one may exit).
        Raises HandOverError when an instance runs but does not take them."""
        message = encode(paths)
        try:
            self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("no instance lock (%s): handing over only to a window that listens", exc)
        took_over = False
        waited_since = time.monotonic()
        while True:
            if self._lock.tryLock(0):
                return True
            reply = send(self.name, message)
            if reply == OK:
                return False
            if reply == b"":
                raise HandOverError(
                    f"Fashion Desktop is running but did not answer within {REPLY_MS // 1000} s; try again in a "
                    "moment, or close it first"
                )
            if reply is not None:
                answer = reply[:200].decode(errors="replace").strip()
                raise HandOverError(f"the running Fashion Desktop did not take the files ({answer})")
            if self._lock.error() != QLockFile.LockError.LockFailedError:  # no lock file can be written here
                return True
            if time.monotonic() - waited_since > LOCKED_SECONDS:
                if took_over:
                    return True  # the lock cannot be taken over: run unguarded rather than not at all
                log.warning("%s is held by a process that does not answer: taking it over", self.lock_file)
                self._lock.removeStaleLockFile()
                took_over = True
            time.sleep(0.05)

    def listen(self) -> bool:
        """Listen for later launches (needs the QApplication: the socket's notifier lives in its event loop)."""
        QLocalServer.removeServer(self.name)  # a crashed instance's socket: this process holds the lock
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        server.setMaxPendingConnections(MAX_CONNECTIONS)
        if not server.listen(self.name):
            log.warning("later launches cannot reach this window: %s", server.errorString())
            return False
        server.newConnection.connect(self._accept)
        self._server = server
        log.info("listening for later launches on %s", server.fullServerName())
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for socket in list(self._reading):
            self._drop(socket)
        if self._lock.isLocked():
            self._lock.unlock()

    # -- the running window's side ---------------------------------------------------------------------------------
    def _accept(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            if len(self._reading) >= MAX_CONNECTIONS:
                socket.abort()
                socket.deleteLater()
                continue
            self._reading[socket] = bytearray()
            socket.readyRead.connect(partial(self._read, socket))
            socket.disconnected.connect(partial(self._drop, socket))
            QTimer.singleShot(READ_MS, socket, partial(self._drop, socket))

    def _read(self, socket: QLocalSocket) -> None:
        buffer = self._reading.get(socket)
        if buffer is None:
            return
        buffer += bytes(socket.readAll().data())
        if len(buffer) < HEADER.size:
            return
        (size,) = HEADER.unpack_from(buffer)
        if size > MAX_MESSAGE_BYTES:
            self._answer(socket, b"refused: message too large\n")
            return
        if len(buffer) < HEADER.size + size:
            return
        try:
            paths = decode(bytes(buffer[HEADER.size : HEADER.size + size]))
        except ValueError as exc:
            log.warning("refused a message from a later launch: %s", exc)
            self._answer(socket, f"refused: {exc}\n".encode())
            return
        self._answer(socket, OK)
        log.info("a later launch opened %d path(s)", len(paths))
        self.received.emit([Path(path) for path in paths])

    def _answer(self, socket: QLocalSocket, reply: bytes) -> None:
        self._reading.pop(socket, None)
        socket.write(reply)
        socket.flush()
        socket.disconnectFromServer()

    def _drop(self, socket: QLocalSocket) -> None:
        if self._reading.pop(socket, None) is not None:
            socket.abort()
        socket.deleteLater()


def send(name: str, message: bytes) -> bytes | None:
    """`message` to the instance listening on `name`: its reply; None when none listens (or it closed the connection
    unanswered: it is quitting); empty when it was connected but did not answer in time."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_MS):
        return None
    socket.write(message)
    reply = b""
    deadline = time.monotonic() + REPLY_MS / 1000
    while not reply.endswith(b"\n") and time.monotonic() < deadline:
        if socket.bytesToWrite():
            socket.waitForBytesWritten(100)
        elif socket.waitForReadyRead(100):
            reply += bytes(socket.readAll().data())
        elif socket.state() == QLocalSocket.LocalSocketState.UnconnectedState:
            return reply or None
    socket.abort()
    return reply
