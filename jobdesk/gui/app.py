"""Starting the desktop monitor: a QApplication with asyncio on the qasync loop."""

from __future__ import annotations

import asyncio
import sys

import qasync
from PySide6.QtWidgets import QApplication

from jobdesk import __version__
from jobdesk.client.monitor import ServerProfile
from jobdesk.client.profiles import ProfileStore
from jobdesk.gui.controller import Controller
from jobdesk.gui.profiles_dialog import ProfilesDialog


def run_monitor(
    profiles: list[ServerProfile] | None = None,
    *,
    profile_store: ProfileStore | None = None,
    duration: float | None = None,
) -> int:
    """Run until quit. ``profiles``: watch these (the demo); None: the saved ones, and on
    first start the servers dialog. ``duration``: quit by itself (tests, screenshots)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("jobdesk")
    app.setApplicationName("jobdesk")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)  # the controller decides: hide to tray, or quit
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        code: int = loop.run_until_complete(_main(app, profiles, profile_store, duration))
    return code


async def _main(
    app: QApplication,
    profiles: list[ServerProfile] | None,
    profile_store: ProfileStore | None,
    duration: float | None,
) -> int:
    store = profile_store or ProfileStore()
    controller = Controller(store)
    app.aboutToQuit.connect(controller.cancel_everything)
    chosen = store.load() if profiles is None else profiles
    for profile in chosen:
        controller.watch(profile)
    window = controller.window
    window.servers_action.triggered.connect(lambda: _open_servers(controller, store))
    window.show()
    controller.tray.set_window_visible(True)
    print(
        "jobdesk: tray icon shown"
        if controller.tray.available
        else "jobdesk: no system tray here: closing the window quits",
        file=sys.stderr,
        flush=True,
    )
    if not chosen:
        _open_servers(controller, store)
    if duration is not None:
        asyncio.get_running_loop().call_later(duration, controller.quit)
    await controller.closed.wait()
    return 0


def _open_servers(controller: Controller, store: ProfileStore) -> None:
    dialog = ProfilesDialog(store, list(controller.profiles.values()), controller.window)
    dialog.saved.connect(lambda profiles: asyncio.ensure_future(controller.replace(profiles)))
    dialog.open()
