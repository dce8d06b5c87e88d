"""The command line as real processes: ``python -m jobdesk``, and ``watch --json`` live.

``watch`` runs until it is stopped, so its test reads the lines it expects with a
deadline, then sends SIGINT (Ctrl+C) and checks that it exits 0 without a traceback.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import httpx
import pytest

from tests.cli.conftest import run_jobdesk, subprocess_env
from tests.conftest import RunningServer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGINT")


def test_python_m_jobdesk_runs_the_command_line() -> None:
    done = run_jobdesk("--help")
    assert done.returncode == 0
    assert done.stdout.startswith("usage: jobdesk")


def test_a_bad_command_line_is_one_line_without_traceback() -> None:
    done = run_jobdesk("job", "progress", "job_1", "120", env={"JOBDESK_TOKEN": "jd_x"})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("jobdesk: error: argument PERCENT")


def test_job_create_in_a_script(server: RunningServer) -> None:
    env = {"JOBDESK_URL": server.url, "JOBDESK_TOKEN": server.tokens["worker"]}
    done = run_jobdesk("job", "create", "--name", "from-a-script", "--start", env=env)
    assert done.returncode == 0, done.stderr
    job_id = done.stdout.strip()
    response = httpx.get(f"{server.url}/api/jobs", headers=server.headers())
    names = {job["id"]: job["name"] for job in response.json()["jobs"]}
    assert names[job_id] == "from-a-script"


class Lines:
    """stdout of a process, line by line, readable with a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._queue: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        self._stream = process.stdout
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self._stream:
            self._queue.put(line)

    def until(self, wanted: Any, within: float = 15.0) -> list[dict[str, Any]]:
        """Read JSON lines until one satisfies ``wanted``; all read so far are returned."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + within
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching line in time; got {seen!r}")
            try:
                line = json.loads(self._queue.get(timeout=left))
            except queue.Empty:
                continue
            seen.append(line)
            if wanted(line):
                return seen


def post(server: RunningServer, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{server.url}{path}", json=body, headers=server.headers("worker"))
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def test_watch_json_prints_a_line_per_change_and_stops_on_ctrl_c(server: RunningServer) -> None:
    before = post(server, "/api/jobs", {"name": "before"})["jobId"]
    process = subprocess.Popen(
        [sys.executable, "-m", "jobdesk", "watch", server.url, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(JOBDESK_TOKEN=server.tokens["viewer"]),
    )
    try:
        lines = Lines(process)
        first = lines.until(lambda line: line["id"] == before)[-1]
        assert set(first) == {"id", "name", "status", "progress", "message", "updatedAt", "seq"}
        assert (first["name"], first["status"], first["progress"]) == ("before", "queued", 0.0)

        after = post(server, "/api/admin/jobs/start", {"name": "after"})["jobId"]
        created = lines.until(lambda line: line["id"] == after)[-1]
        assert created["status"] == "running"
        post(
            server, f"/api/admin/jobs/{after}/progress", {"progress": 0.25, "message": "a quarter"}
        )
        moved = lines.until(lambda line: line["id"] == after and line["progress"] == 25.0)[-1]
        assert moved["message"] == "a quarter"
        assert moved["seq"] > created["seq"] > first["seq"]

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


def test_watch_with_a_refused_token_exits_1_with_one_line(server: RunningServer) -> None:
    done = run_jobdesk("watch", server.url, "--json", env={"JOBDESK_TOKEN": "jd_wrong"}, timeout=30)
    assert done.returncode == 1
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("jobdesk: error: the server refused the token: ")


def test_watch_json_stops_when_its_reader_goes_away(server: RunningServer) -> None:
    """``watch --json | head -1``: the closed pipe ends the watch instead of being taken
    for a network failure and retried forever."""
    post(server, "/api/jobs", {"name": "first"})
    process = subprocess.Popen(
        [sys.executable, "-m", "jobdesk", "watch", server.url, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(JOBDESK_TOKEN=server.tokens["viewer"]),
    )
    try:
        assert process.stdout is not None
        assert json.loads(process.stdout.readline())["name"] == "first"
        process.stdout.close()  # what head does after its line
        post(server, "/api/jobs", {"name": "second"})
        assert process.wait(timeout=15) == 1
        assert process.stderr is not None
        assert "Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
