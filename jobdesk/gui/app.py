"""Starting the desktop monitor: a QApplication with asyncio on the qasync loop.

The monitor of the saved servers runs once per user (``SingleInstance``): a second
``jobdesk`` brings the first one's window forward and exits. A monitor started on given
servers (``jobdesk demo``) is a session of its own and takes no lock, so a demo or a
test can run beside the operator's monitor.
"""

from __future__ import annotations

import asyncio
import sys

import qasync
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from jobdesk import APP_ID, __version__
from jobdesk.client.monitor import ServerProfile
from jobdesk.client.profiles import ProfileStore
from jobdesk.gui.controller import Controller
from jobdesk.gui.main_thread_gc import collecting_on_this_thread
from jobdesk.gui.profiles_dialog import ProfilesDialog
from jobdesk.gui.single_instance import SingleInstance


def run_monitor(
    profiles: list[ServerProfile] | None = None,
    *,
    profile_store: ProfileStore | None = None,
    duration: float | None = None,
) -> int:
    """Run until quit. ``profiles``: watch these (the demo); None: the saved ones, once
    per user, and on first start the servers dialog. ``duration``: quit by itself (tests,
    screenshots)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("jobdesk")
    app.setApplicationName("jobdesk")
    app.setApplicationVersion(__version__)
    # Desktops match the window to the installed .desktop file (its name and icon) by this.
    app.setDesktopFileName(APP_ID)
    if not (themed := QIcon.fromTheme(APP_ID)).isNull():
        app.setWindowIcon(themed)
    app.setQuitOnLastWindowClosed(False)  # the controller decides: hide to tray, or quit
    instance = SingleInstance() if profiles is None else None
    if instance is not None and not instance.acquire():
        return _defer_to_running(instance)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        # Qt objects must not be freed by a collection in another thread
        with loop, collecting_on_this_thread(app):
            code: int = loop.run_until_complete(
                _main(app, profiles, profile_store, duration, instance)
            )
    finally:
        if instance is not None:
            instance.release()
    return code


def _defer_to_running(instance: SingleInstance) -> int:
    """Another monitor of the saved servers runs: show it instead of starting a second."""
    pid = instance.holder_pid()
    running = "jobdesk: already running" + (f" (pid {pid})" if pid else "")
    if instance.request_show():
        print(f"{running}; brought its window forward", file=sys.stderr)
        return 0
    print(f"{running}, but it did not answer the request to show its window", file=sys.stderr)
    return 1


async def _main(
    app: QApplication,
    profiles: list[ServerProfile] | None,
    profile_store: ProfileStore | None,
    duration: float | None,
    instance: SingleInstance | None,
) -> int:
    store = profile_store or ProfileStore()
    controller = Controller(store)
    app.aboutToQuit.connect(controller.cancel_everything)
    # The keyring is a D-Bus round trip (or a locked keyring's prompt): off the GUI thread.
    chosen = await asyncio.to_thread(store.load) if profiles is None else profiles
    for profile in chosen:
        controller.watch(profile)
    window = controller.window
    window.servers_action.triggered.connect(lambda: _open_servers(controller, store))
    window.show()
    controller.tray.set_window_visible(True)
    if instance is not None:
        instance.show_requested.connect(lambda: _show_on_request(controller))
    print(
        "jobdesk: tray icon shown"
        if controller.tray.available
        else "jobdesk: no system tray here: closing the window quits",
        file=sys.stderr,
        flush=True,
    )
    if not chosen:  # no token read yet: ask the keyring whether one can be kept
        await asyncio.to_thread(store.probe_keyring)
        _open_servers(controller, store)
    if duration is not None:
        asyncio.get_running_loop().call_later(duration, controller.quit)
    await controller.closed.wait()
    return 0


def _show_on_request(controller: Controller) -> None:
    """Out of the tray or from behind other windows: the second launch's whole point."""
    controller.show_window()
    print("jobdesk: shown at the request of a second launch", file=sys.stderr, flush=True)


def _open_servers(controller: Controller, store: ProfileStore) -> None:
    dialog = ProfilesDialog(store, list(controller.profiles.values()), controller.window)
    dialog.saved.connect(lambda profiles: asyncio.ensure_future(controller.replace(profiles)))
    dialog.open()
