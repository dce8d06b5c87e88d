"""``jobdesk watch --backend socketio URL --json`` follows a seed-004 Socket.IO service."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.cli.conftest import subprocess_env
from tests.cli.test_processes import Lines
from tests.client.adapters.sio_server import FakeSocketIoServer


@pytest.fixture(params=["sio-token", None], ids=["token", "no auth"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeSocketIoServer]:
    """The service with a token, and without auth (the kind needs no token)."""
    server = FakeSocketIoServer(request.param)
    server.start()
    yield server
    server.close()


def test_watch_json_follows_a_socketio_service(fake: FakeSocketIoServer) -> None:
    fake.call_sync(fake.progress("named", 30, "before the watch", user_id="u2"))
    argv = ["watch", "--backend", "socketio", fake.url, "--json"]
    options = ["--option", "userId=u1", "--option", "jobIds=named"]
    process = subprocess.Popen(
        [sys.executable, "-m", "jobdesk", *argv, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(**({"JOBDESK_TOKEN": fake.token} if fake.token else {})),
    )
    try:
        lines = Lines(process)
        first = lines.until(lambda line: line["id"] == "named")[-1]
        assert (first["status"], first["progress"], first["message"]) == (
            "running",
            30.0,
            "before the watch",
        )
        fake.call_sync(fake.progress("mine", 25, "a quarter"))
        moved = lines.until(lambda line: line["id"] == "mine")[-1]
        assert (moved["status"], moved["progress"], moved["message"]) == (
            "running",
            25.0,
            "a quarter",
        )
        fake.call_sync(fake.fail("mine", "Invalid file format"))
        lines.until(lambda line: line["id"] == "mine" and line["status"] == "failed")

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
