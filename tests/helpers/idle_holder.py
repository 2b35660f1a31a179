"""Hold N idle TCP connections to a port, reopening each one the server drops (an attacker).

``python -m tests.helpers.idle_holder HOST PORT N SECONDS`` connects N sockets that never send
a byte; whenever the server closes one, it is opened again at once, so N stay held for SECONDS.
Prints one JSON line: how many were open at the end and how many reconnects it took. Used by
the listener-pressure test and benchmark (issue 13, finding 4), as another user when root.
"""

from __future__ import annotations

import json
import resource
import selectors
import socket
import sys
import time


def _open(host: str, port: int) -> socket.socket | None:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        sock.connect((host, port))
    except BlockingIOError:
        pass
    except OSError:
        sock.close()
        return None
    return sock


def main() -> int:
    host, port, count, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, count + 64) if hard != resource.RLIM_INFINITY else count + 64
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    selector = selectors.DefaultSelector()
    reconnects = 0
    for _ in range(count):
        sock = _open(host, port)
        if sock is not None:
            selector.register(sock, selectors.EVENT_READ)
    print(json.dumps({"event": "holding", "open": len(selector.get_map())}), flush=True)
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        for key, _ in selector.select(min(left, 0.2)):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if data:
                continue
            selector.unregister(sock)
            sock.close()
            again = _open(host, port)
            if again is not None:
                selector.register(again, selectors.EVENT_READ)
                reconnects += 1
        while len(selector.get_map()) < count and time.monotonic() < end:
            again = _open(host, port)
            if again is None:
                break
            selector.register(again, selectors.EVENT_READ)
            reconnects += 1
    print(json.dumps({"event": "done", "open": len(selector.get_map()), "reconnects": reconnects}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
