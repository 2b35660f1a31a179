"""Child process for tests/e2e/test_app_screens.py: the main windows and dialogs on a real X
server at 1280×720, one scene at a time (the test screenshots each; issue 12).

    python app_screens.py DATA_DIR

Prints ``scene NAME`` when a scene is painted and waits for a line on stdin. For each scene
it also prints ``overlap NAME N``: how many pairs of visible controls overlap (0 expected).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from nocontact_desktop.core.clock import SystemClock
from nocontact_desktop.core.reflect.attempts import ReflectRules
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.ui.app import TrayApp
from nocontact_desktop.ui.dialogs.passphrase_dialog import PassphraseDialog
from nocontact_desktop.ui.dialogs.reflect_dialog import Acknowledgement, ReflectDialog
from nocontact_desktop.ui.qt import QtCore, QtWidgets
from nocontact_desktop.ui.windows.onboarding import OnboardingDialog
from tests.helpers.fakes import make_store
from tests.helpers.widgets import overlapping_controls


def main() -> int:
    data_dir = Path(sys.argv[1])
    app = QtWidgets.QApplication(sys.argv[:1])
    clock = SystemClock()
    store = make_store(data_dir)
    tray = TrayApp(store, clock)
    tray.tracker.start(clock.now() - timedelta(days=40, hours=2))
    store.set_list_items(
        "reasons", ["I deserve to feel safe in my own home", "I want my peace back"]
    )
    tray.blocked_page.input.setText("https://www.instagram.com/some.one/ their-blog.example")
    tray.blocked_page.add_from_input()
    tray.app_gate.gate_list.add(["signal", "telegram"], clock.now())
    tray.apps_page.reload()
    rules = ReflectRules(store, clock)

    def wait(ms: int) -> None:
        loop = QtCore.QEventLoop()
        QtCore.QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def scene(name: str, setup: Callable[[], QtWidgets.QWidget], settle_ms: int = 600) -> None:
        shown = setup()
        wait(settle_ms)
        print(f"overlap {name} {len(overlapping_controls(shown))}", flush=True)
        print(f"scene {name}", flush=True)
        sys.stdin.readline()

    onboarding = OnboardingDialog(clock)

    def show_onboarding() -> QtWidgets.QWidget:
        onboarding.show()
        return onboarding

    scene("onboarding", show_onboarding)
    onboarding.hide()

    def page(title: str) -> Callable[[], QtWidgets.QWidget]:
        def show() -> QtWidgets.QWidget:
            tray.refresh()
            tray.window.show_page(title)
            tray.window.bring_to_front()
            return tray.window

        return show

    scene("today", page("Today"))
    scene("blocked", page("Blocked"))
    scene("apps", page("Apps"))
    scene("settings", page("Settings"))

    def slipped() -> QtWidgets.QWidget:
        tray.tracker.log(EventKind.CONTACT)
        return page("Today")()

    scene("today_after_slip", slipped)
    tray.window.hide()

    attempt = rules.site_attempt("www.instagram.com", "www.instagram.com")
    context = rules.context()
    dialog = ReflectDialog(attempt, context.summary, context.reason, 30)

    def counting() -> QtWidgets.QWidget:
        dialog.show()
        dialog.activateWindow()
        return dialog

    scene("reflect_counting", counting, 2500)
    other = QtWidgets.QWidget()
    other.setWindowTitle("Another window")
    other.resize(300, 200)

    def paused() -> QtWidgets.QWidget:
        other.show()
        other.activateWindow()
        wait(300)
        dialog.tick()
        return dialog

    scene("reflect_paused", paused)
    other.hide()

    def open_anyway() -> QtWidgets.QWidget:
        dialog.activateWindow()
        dialog.remaining = 0
        dialog._update_open_button()
        dialog.open_button.click()
        return dialog

    scene("reflect_open_anyway", open_anyway)
    dialog.outcome = "settled"
    dialog.hide()
    ack = Acknowledgement("You turned away. That's the 4th time this week.")

    def acknowledgement() -> QtWidgets.QWidget:
        ack.show()
        return ack

    scene("reflect_acknowledgement", acknowledgement)
    ack.hide()
    unlock = PassphraseDialog("unlock", "That passphrase does not open your notes. Try again.")

    def show_unlock() -> QtWidgets.QWidget:
        unlock.show()
        return unlock

    scene("unlock", show_unlock)
    unlock.hide()
    tray.support.open_history()

    def history() -> QtWidgets.QWidget:
        window = tray.support.history
        assert window is not None
        return window

    scene("history", history)
    tray.scheduler.shutdown()
    tray.stop_using_store()
    app.processEvents()
    store.close()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
