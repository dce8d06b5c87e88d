"""The README figure: a jobdesk demo, a Socket.IO service (the tests' fake) and the
AppSync simulator in one monitor. From the repository root:

    ../shared/tools/desktop-session --size 1280x780 \\
        --shot docs/figures/three-backends.png@32 -- uv run python docs/figures/three-backends.py
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # for the tests' fakes

from jobdesk.client.monitor import ServerProfile
from jobdesk.gui.app import run_monitor
from tests.client.adapters.appsync_sim import API_KEY, Simulator, installed
from tests.client.adapters.sio_server import FakeSocketIoServer


def start_demo() -> tuple[subprocess.Popen[str], str, str]:
    demo = subprocess.Popen(
        ["uv", "run", "jobdesk", "demo", "--json", "--seed", "3"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert demo.stderr is not None
    for line in demo.stderr:
        if found := re.search(r"JOBDESK_TOKEN=(\S+) uv run jobdesk watch (\S+)", line):
            token, url = found.groups()
            threading.Thread(target=demo.stderr.read, daemon=True).start()  # keep it drained
            return demo, url, token
    raise RuntimeError("the demo did not start")


async def appsync_jobs(sim: Simulator) -> None:
    texts = [
        ("summarise Q3 board minutes", "HIGH"),
        ("translate the onboarding guide", "MEDIUM"),
        ("caption 120 product photos", "LOW"),
    ]
    ids = [await sim.submit(text, priority) for text, priority in texts]
    await sim.update(ids[0], "PROCESSING")
    await sim.update(ids[2], "COMPLETED", "done")


def socketio_jobs(sio: FakeSocketIoServer) -> None:
    time.sleep(6)  # after the monitor subscribed: the seed has no replay
    sio.call_sync(sio.progress("export-7731", 12.0, "Exporting rows 1,200/10,000", "ops"))
    sio.call_sync(sio.progress("export-7732", 64.0, "Uploading part 7/11", "ops"))
    sio.call_sync(sio.progress("export-7733", 100.0, "", "ops"))
    sio.call_sync(sio.complete("export-7733", {"rows": 4000}))
    sio.call_sync(sio.progress("export-7734", 30.0, "Compressing", "ops"))
    sio.call_sync(sio.fail("export-7734", "disk quota exceeded on /exports"))
    done = 12.0
    while True:
        time.sleep(1.0)
        done = min(99.0, done + 3.0)
        message = f"Exporting rows {int(done * 100):,}/10,000"
        sio.call_sync(sio.progress("export-7731", done, message, "ops"))


def main() -> None:
    demo, url, token = start_demo()
    sio = FakeSocketIoServer(token=None)
    sio.start()
    sim = Simulator(installed(), Path(tempfile.mkdtemp()) / "jobs.json")
    asyncio.run(appsync_jobs(sim))
    threading.Thread(target=socketio_jobs, args=(sio,), daemon=True).start()
    profiles = [
        ServerProfile("production", url, token),
        ServerProfile("exports (socket.io)", sio.url, "", "socketio", {"userId": "ops"}),
        ServerProfile("assistant (appsync)", sim.url, API_KEY, "appsync"),
    ]
    try:
        run_monitor(profiles, duration=float(os.environ.get("DURATION", "40")))
    finally:
        demo.terminate()
        sio.close()
        sim.stop()


if __name__ == "__main__":
    main()
