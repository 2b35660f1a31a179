"""One tray app per user and data folder: a second launch asks the first to show itself."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from nocontact_desktop.ui.qt import QtCore, QtNetwork, Signal

log = logging.getLogger(__name__)


def server_name(data_dir: Path) -> str:
    """A per-user, per-data-folder name for the local socket."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return f"nocontact-{uid}-{digest}"


class SingleInstance(QtCore.QObject):
    """Holds a lock file and a local server; :attr:`activated` fires when a second launch asks."""

    activated = Signal()

    def __init__(self, data_dir: Path, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._name = server_name(data_dir)
        # The lock file settles races between two launches; QLockFile clears stale locks.
        self._lock = QtCore.QLockFile(str(data_dir / "tray.lock"))
        self._lock.setStaleLockTime(0)
        self._server: QtNetwork.QLocalServer | None = None

    def claim(self) -> bool:
        """True if we are the first instance; otherwise tell the first one to show itself."""
        if not self._lock.tryLock(100):
            self._notify_running()
            return False
        QtNetwork.QLocalServer.removeServer(self._name)  # a stale socket of a crashed run
        server = QtNetwork.QLocalServer(self)
        server.setSocketOptions(QtNetwork.QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self._name):
            log.warning("single-instance server could not listen: %s", server.errorString())
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def _notify_running(self) -> None:
        socket = QtNetwork.QLocalSocket()
        socket.connectToServer(self._name)
        if socket.waitForConnected(1000):
            socket.write(b"show\n")
            socket.waitForBytesWritten(1000)
            socket.disconnectFromServer()

    def _on_connection(self) -> None:
        assert self._server is not None
        while (conn := self._server.nextPendingConnection()) is not None:
            conn.readyRead.connect(lambda c=conn: self._on_message(c))
            conn.disconnected.connect(conn.deleteLater)

    def _on_message(self, conn: QtNetwork.QLocalSocket) -> None:
        if bytes(conn.readAll().data()).startswith(b"show"):
            self.activated.emit()

    def release(self) -> None:
        """Stop listening and unlock (on quit)."""
        if self._server is not None:
            self._server.close()
        self._lock.unlock()
