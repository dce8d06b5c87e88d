"""The monitor's half of ``jobdesk --self-test``: watch a server offscreen until a job
shows completed in the table and the window paints.

What puts the job there is the caller's (the command line runs it through the SDK), so
this module needs nothing but a URL, a token and that coroutine.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import qasync
from PySide6.QtCore import QSettings, QtMsgType, qInstallMessageHandler, qVersion
from PySide6.QtWidgets import QApplication

from jobdesk.client.monitor import ServerProfile
from jobdesk.client.profiles import ProfileStore
from jobdesk.gui.controller import Controller
from jobdesk.gui.main_thread_gc import collecting_on_this_thread
from jobdesk.protocol import Status

SERVER = "self-test"


class MonitorCheckFailed(Exception):
    """What the monitor did not do, in one line."""


def check_monitor(
    url: str,
    token: str,
    folder: Path,
    run_job: Callable[[], Awaitable[str]],
    timeout: float,
) -> str:
    """Run the monitor offscreen on ``url`` while ``run_job`` puts a job through; return
    a line describing what was seen. Settings and layout go to ``folder``, not the user's."""
    qInstallMessageHandler(_quiet_offscreen)
    for form in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(form, QSettings.Scope.UserScope, str(folder))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("jobdesk-self-test")
    app.setApplicationName("jobdesk-self-test")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    # the self-test's server runs in a thread: Qt objects must not be freed there
    with loop, collecting_on_this_thread(app):
        try:
            job_id = loop.run_until_complete(
                asyncio.wait_for(_watch(url, token, folder, run_job), timeout)
            )
        except TimeoutError:
            raise MonitorCheckFailed(
                f"no completed job in the monitor within {timeout:g} s"
            ) from None
    return f"Qt {qVersion()} on {app.platformName()}, job {job_id} shown completed"


async def _watch(url: str, token: str, folder: Path, run_job: Callable[[], Awaitable[str]]) -> str:
    controller = Controller(ProfileStore(folder / "config"))
    controller.center.set_paused(True)  # a self-test must not pop up notifications
    try:
        controller.watch(ServerProfile(SERVER, url, token))
        controller.window.show()
        job_id = await run_job()
        await _until_shown(controller, job_id)
        if controller.window.grab().isNull():
            raise MonitorCheckFailed("the window could not be painted")
        return job_id
    finally:
        controller.quit()
        await controller.closed.wait()


async def _until_shown(controller: Controller, job_id: str) -> None:
    """Wait until the table holds the job completed, checking after each applied batch;
    the caller's timeout bounds the wait."""
    applied = asyncio.Event()
    controller.model.batch_applied.connect(lambda *_: applied.set())
    key = (SERVER, job_id)
    while True:
        applied.clear()
        job = controller.model.job(key)
        shown = controller.model.row_of_key(key) is not None
        if shown and job is not None and job.status is Status.COMPLETED:
            return
        await applied.wait()


def _quiet_offscreen(kind: QtMsgType, context: object, message: str) -> None:
    """Drop the offscreen platform's notes on window hints it cannot honour; say the rest."""
    if "propagateSizeHints" not in message:
        print(f"qt: {message}", file=sys.stderr)
