"""``jobdesk watch --backend appsync URL --json`` as a real process against the real
AppSync simulator: the listed jobs, then a change pushed live."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import subprocess_env
from tests.cli.test_processes import Lines
from tests.client.adapters.appsync_sim import API_KEY, Simulator, installed

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="uses SIGINT"),
    pytest.mark.timeout(1800),  # the first test may install node (apt) and the simulator (npm)
]


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[Simulator]:
    sim = Simulator(installed(), tmp_path / "jobs.json")
    yield sim
    sim.stop()


def test_watch_json_follows_an_appsync_backend(simulator: Simulator) -> None:
    job = asyncio.run(simulator.submit("nightly export", "HIGH"))
    process = subprocess.Popen(
        [sys.executable, "-m", "jobdesk", "watch", "--backend", "appsync", simulator.url, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(JOBDESK_TOKEN=API_KEY),
    )
    try:
        lines = Lines(process)
        first = lines.until(lambda line: line["id"] == job)[-1]
        assert (first["name"], first["status"]) == ("nightly export", "queued")
        asyncio.run(simulator.update(job, "COMPLETED", "12 rows"))
        done = lines.until(lambda line: line["id"] == job and line["status"] == "completed")[-1]
        assert done["message"] == "12 rows"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
        assert process.stderr is not None
        err = process.stderr.read()
        assert "Traceback" not in err
        assert "jobdesk: live" in err.splitlines()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
