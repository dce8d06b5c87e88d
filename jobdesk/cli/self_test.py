"""``jobdesk --self-test``: proof that an installed jobdesk works, end to end, offscreen.

It starts an embedded server on a scratch database, the Qt application offscreen, and
one job through the queue (submitted, claimed, reported and completed by the SDK's
worker loop), then waits until the monitor's table holds the job completed and paints.
Installers run it on the bundle they built, so a missing Qt plugin, migration script or
hidden import fails the build instead of an operator's first start.

Nothing of the user's is touched: the server, tokens, saved servers and window layout
all live in a temporary folder, and notifications are paused.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from jobdesk import __version__

JOB_TYPE = "self-test"
PAYLOAD = {"check": 1}
TIMEOUT_S = 60.0


class SelfTestFailed(Exception):
    """What did not work, in one line."""


def run_self_test(timeout: float = TIMEOUT_S) -> int:
    """Run the self-test; print one line saying ok or what failed; 0 when ok."""
    from jobdesk.gui.self_check import MonitorCheckFailed

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="jobdesk-self-test-") as scratch:
            detail = _with_server(Path(scratch), timeout)
    except (SelfTestFailed, MonitorCheckFailed, OSError, RuntimeError, TimeoutError) as exc:
        print(f"jobdesk self-test: FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    took = time.monotonic() - started
    print(f"jobdesk self-test: ok (jobdesk {__version__}, {detail}; {took:.1f} s)", flush=True)
    return 0


def _with_server(folder: Path, timeout: float) -> str:
    from jobdesk.gui.self_check import check_monitor
    from jobdesk.server.config import ServerConfig
    from jobdesk.server.embedded import EmbeddedServer
    from jobdesk.server.tokens import create_token

    db_path = folder / "self-test.db"
    operator = create_token(db_path, "operator", "self-test-operator")
    worker = create_token(db_path, "worker", "self-test-worker")
    with EmbeddedServer(ServerConfig(db_path=db_path, port=0)) as server:

        async def run_job() -> str:
            return await _one_job(server.url, worker)

        return check_monitor(server.url, operator, folder, run_job, timeout)


async def _one_job(url: str, worker_token: str) -> str:
    """Submit one job, then do it with the SDK's worker loop, as a real worker would."""
    from jobdesk.sdk import AsyncJobdeskClient, SdkError

    try:
        async with AsyncJobdeskClient(url, worker_token) as client:
            job_id = await client.submit_job(JOB_TYPE, name="self-test", payload=PAYLOAD)
            worker = client.worker("self-test", lease=30.0, wait=5.0)
            async for job in worker.jobs(JOB_TYPE):
                async with job:
                    if job.payload != PAYLOAD:
                        raise SelfTestFailed(f"the payload came back as {job.payload!r}")
                    job.progress(50, "Halfway")
                    await job.complete({"ok": True}, "Self-test done")
                worker.stop()
            return job_id
    except SdkError as exc:
        raise SelfTestFailed(f"the job did not go through the server: {exc}") from exc
