"""One tray app per user and data folder: a second launch asks the first to show itself."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from nocontact_desktop.ui import qt
from nocontact_desktop.ui.qt import QtCore, Signal, Slot

if TYPE_CHECKING:
    from nocontact_desktop.ui.qt import QtNetwork

log = logging.getLogger(__name__)

SOCKET_NAME = "tray.sock"
# sockaddr_un holds 108 bytes with its final NUL; keep a margin for other platforms' 104.
_MAX_SOCKET_PATH = 100


def socket_path(data_dir: Path, runtime_dir: str | None = None) -> Path | None:
    """Where the first instance listens: in the private data folder, else in the user's
    private runtime folder (a long data-folder path), else nowhere.

    Never a shared folder such as /tmp: other users would see the app's name there (DESIGN
    §8) and could take the name first.
    """
    inside = data_dir.resolve() / SOCKET_NAME
    if len(os.fsencode(inside)) <= _MAX_SOCKET_PATH:
        return inside
    runtime = runtime_dir if runtime_dir is not None else os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        import hashlib  # noqa: PLC0415 - only for long data-folder paths

        digest = hashlib.sha256(os.fsencode(data_dir.resolve())).hexdigest()[:16]
        beside = Path(runtime) / f"{digest}.sock"
        if len(os.fsencode(beside)) <= _MAX_SOCKET_PATH:
            return beside
    return None


class SingleInstance(QtCore.QObject):
    """Holds a lock file and a local server; :attr:`activated` fires when a second launch asks."""

    activated = Signal()

    def __init__(self, data_dir: Path, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._path = socket_path(data_dir)
        # The lock file settles races between two launches; QLockFile clears stale locks.
        self._lock = QtCore.QLockFile(str(data_dir / "tray.lock"))
        self._lock.setStaleLockTime(0)
        self._server: QtNetwork.QLocalServer | None = None

    def claim(self) -> bool:
        """True if we are the first instance (then call :meth:`listen` once the icon shows);
        otherwise tell the first one to show itself."""
        if not self._lock.tryLock(100):
            self._notify_running()
            return False
        return True

    def listen(self) -> None:
        """Answer later launches (after the icon: QtNetwork is not needed before it)."""
        if self._server is not None or not self._lock.isLocked():
            return
        if self._path is None:
            log.warning("no private folder for the single-instance socket: path too long")
            return
        network = qt.QtNetwork
        # We hold the lock: a socket there is a crashed run's.
        network.QLocalServer.removeServer(str(self._path))
        server = network.QLocalServer(self)
        server.setSocketOptions(network.QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(str(self._path)):
            log.warning("single-instance server could not listen: %s", server.errorString())
        server.newConnection.connect(self._on_connection)
        self._server = server

    def _notify_running(self) -> None:
        if self._path is None:
            return
        socket = qt.QtNetwork.QLocalSocket()
        socket.connectToServer(str(self._path))
        if socket.waitForConnected(1000):
            socket.write(b"show\n")
            socket.waitForBytesWritten(1000)
            socket.disconnectFromServer()

    def _on_connection(self) -> None:
        assert self._server is not None
        while (conn := self._server.nextPendingConnection()) is not None:
            # No lambda holding the socket: Qt deletes it (deleteLater) while Python would
            # still hold a wrapper in the closure.
            conn.readyRead.connect(self._on_message)
            conn.disconnected.connect(conn.deleteLater)

    @Slot()
    def _on_message(self) -> None:
        conn = self.sender()
        if isinstance(conn, qt.QtNetwork.QLocalSocket) and bytes(
            conn.readAll().data()
        ).startswith(b"show"):
            self.activated.emit()

    def release(self) -> None:
        """Stop listening and unlock (on quit)."""
        if self._server is not None:
            self._server.close()
        self._lock.unlock()
