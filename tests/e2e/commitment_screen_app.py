"""Child process for tests/e2e/test_commitment_screen.py: the Blocked page with a pending change.

    python commitment_screen_app.py DATA_DIR

Runs the real helper process on a throwaway hosts file with a 3-day commitment, blocks two
targets through it, asks to unblock one (it becomes a pending removal held by the helper) and
to stop gating Signal (a gate change the helper holds), and shows the main window on the
Blocked page. Prints ``ready`` once painted and quits on a
line from stdin.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nocontact_desktop.core.blocking.blocklist import Blocklist, push_to_helper
from nocontact_desktop.core.blocking.reconcile import reconcile
from nocontact_desktop.core.clock import SystemClock
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.pages.blocked_page import BlockedPage
from nocontact_desktop.ui.qt import QtCore, QtWidgets
from nocontact_desktop.ui.windows.main_window import MainWindow
from tests.helpers.fakes import make_store
from tests.helpers.helper_harness import RunningHelper, make_root


def main() -> int:
    data_dir = Path(sys.argv[1])
    data_dir.mkdir(mode=0o700, exist_ok=True)
    root = make_root()
    helper = RunningHelper(root, extra_args=["--no-listener"]).start()
    app = QtWidgets.QApplication(sys.argv[:1])
    clock = SystemClock()
    store = make_store(data_dir)
    try:
        client = helper.client()
        client.set_commitment(delay_minutes=3 * 24 * 60)
        blocklist = Blocklist(store)
        blocklist.add(["https://www.instagram.com/some.one/", "their-blog.com"], clock.now())
        page = BlockedPage(
            store,
            clock.now,
            lambda domains: push_to_helper(domains, helper.socket),
            zone=clock.zone,
            cancel_pending=client.cancel_pending,
        )
        window = MainWindow()
        calm_style.calm(window) if hasattr(calm_style, "calm") else None
        window.add_page("Blocked", page, before="Settings")
        window.show_page("Blocked")
        page.show_blocking(reconcile(client, blocklist.domains()))
        page.unblock(["instagram.com/some.one"])  # as after the reflect moment
        client.hold_gate_remove("signal", "Signal")
        result = reconcile(client, blocklist.domains())
        page.show_blocking(result)
        page.show_pending(result.pending)  # as the tray does on every reconcile
        window.resize(1000, 680)
        window.move(40, 40)
        window.show()
        notifier = QtCore.QSocketNotifier(sys.stdin.fileno(), QtCore.QSocketNotifier.Type.Read)
        notifier.activated.connect(app.quit)
        QtCore.QTimer.singleShot(1500, lambda: print("ready", flush=True))
        return int(app.exec())
    finally:
        store.close()
        helper.kill()
        helper.cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
