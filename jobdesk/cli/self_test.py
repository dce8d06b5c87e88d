"""``jobdesk --self-test``: proof that an installed jobdesk works, end to end, offscreen.

It starts the Qt application offscreen, an embedded server on a scratch database, and
one job through the queue (submitted, claimed, reported and completed by the SDK's
worker loop), then waits until the monitor's table holds the job completed and paints.
Installers run it on the bundle they built, so a missing Qt plugin, migration script or
hidden import fails the build instead of an operator's first start.

Nothing of the user's is touched: the server, tokens, saved servers and window layout
all live in a temporary folder, and notifications are paused.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from jobdesk import __version__

if TYPE_CHECKING:
    from jobdesk.gui.controller import Controller

SERVER = "self-test"
JOB_TYPE = "self-test"
TIMEOUT_S = 60.0


class SelfTestFailed(Exception):
    """What did not work, in one line."""


def run_self_test(timeout: float = TIMEOUT_S) -> int:
    """Run the self-test; print one line saying ok or what failed; 0 when ok."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="jobdesk-self-test-") as scratch:
            detail = _with_server(Path(scratch), timeout)
    except (SelfTestFailed, OSError, RuntimeError, TimeoutError) as exc:
        print(f"jobdesk self-test: FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    took = time.monotonic() - started
    print(f"jobdesk self-test: ok ({detail}; {took:.1f} s)", flush=True)
    return 0


def _with_server(folder: Path, timeout: float) -> str:
    from jobdesk.server.config import ServerConfig
    from jobdesk.server.embedded import EmbeddedServer
    from jobdesk.server.tokens import create_token

    db_path = folder / "self-test.db"
    operator = create_token(db_path, "operator", "self-test-operator")
    worker = create_token(db_path, "worker", "self-test-worker")
    with EmbeddedServer(ServerConfig(db_path=db_path, port=0)) as server:
        return _with_monitor(server.url, operator, worker, folder, timeout)


def _with_monitor(url: str, operator: str, worker: str, folder: Path, timeout: float) -> str:
    import qasync
    from PySide6.QtCore import QSettings, qInstallMessageHandler, qVersion
    from PySide6.QtWidgets import QApplication

    qInstallMessageHandler(_quiet_offscreen)
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(folder))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("jobdesk-self-test")
    app.setApplicationName("jobdesk-self-test")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        try:
            job_id = loop.run_until_complete(
                asyncio.wait_for(_monitor_one_job(url, operator, worker, folder), timeout)
            )
        except TimeoutError:
            raise SelfTestFailed(f"no completed job in the monitor within {timeout:g} s") from None
    platform = app.platformName()
    return f"jobdesk {__version__}, Qt {qVersion()} on {platform}, job {job_id} shown completed"


async def _monitor_one_job(url: str, operator: str, worker: str, folder: Path) -> str:
    from jobdesk.client.monitor import ServerProfile
    from jobdesk.client.profiles import ProfileStore
    from jobdesk.gui.controller import Controller

    controller = Controller(ProfileStore(folder / "config"))
    controller.center.set_paused(True)  # a self-test must not pop up notifications
    try:
        controller.watch(ServerProfile(SERVER, url, operator))
        controller.window.show()
        job_id = await _run_one_job(url, worker)
        await _until_shown(controller, job_id)
        if controller.window.grab().isNull():
            raise SelfTestFailed("the window could not be painted")
        return job_id
    finally:
        controller.quit()
        await controller.closed.wait()


async def _run_one_job(url: str, worker_token: str) -> str:
    """Submit one job, then do it with the SDK's worker loop, as a real worker would."""
    from jobdesk.sdk import AsyncJobdeskClient, SdkError

    try:
        async with AsyncJobdeskClient(url, worker_token) as client:
            job_id = await client.submit_job(JOB_TYPE, name="self-test", payload={"check": 1})
            worker = client.worker("self-test", lease=30.0, wait=5.0)
            async for job in worker.jobs(JOB_TYPE):
                async with job:
                    if job.payload != {"check": 1}:
                        raise SelfTestFailed(f"the payload came back as {job.payload!r}")
                    job.progress(50, "Halfway")
                    await job.complete({"ok": True}, "Self-test done")
                worker.stop()
            return job_id
    except SdkError as exc:
        raise SelfTestFailed(f"the job did not go through the server: {exc}") from exc


def _shown_completed(controller: Controller, job_id: str) -> bool:
    from jobdesk.protocol import Status

    key = (SERVER, job_id)
    row = controller.model.row_of_key(key)
    job = controller.model.job(key)
    return row is not None and job is not None and job.status is Status.COMPLETED


async def _until_shown(controller: Controller, job_id: str) -> None:
    """Wait until the table holds the job completed; checked after each applied batch,
    and the caller's overall timeout bounds the wait."""
    applied = asyncio.Event()
    controller.model.batch_applied.connect(lambda *_: applied.set())
    while True:
        applied.clear()
        if _shown_completed(controller, job_id):
            return
        await applied.wait()


def _quiet_offscreen(kind: object, context: object, message: str) -> None:
    """Drop the offscreen platform's notes on window hints it cannot honour; say the rest."""
    if "propagateSizeHints" not in message:
        print(f"qt: {message}", file=sys.stderr)
