"""A jobdesk server in its own process, for tests that kill it (kill -9) and restart it.

Its stderr is read to the end by a thread of the test, kept as the last ``LOG_LINES``
lines: a server that logs a lot (a replica whose peers die) must never block on a full
pipe, and a test may look for what it logged (``logged``)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

import httpx

_LAUNCH = (
    "import json, sys; from pathlib import Path; "
    "from jobdesk.server.app import run_server; from jobdesk.server.config import ServerConfig; "
    "run_server(ServerConfig(db_path=Path(sys.argv[1]), port=int(sys.argv[2]), "
    "**json.loads(sys.argv[3])))"
)
_SERVING = re.compile(r"serving http://127\.0\.0\.1:(\d+)")
LOG_LINES = 2000


class ServerProcess:
    def __init__(
        self, db_path: Path, port: int = 0, config: dict[str, object] | None = None
    ) -> None:
        """``config``: ServerConfig fields to change (numbers and strings: they pass as
        JSON; ``db_url`` runs it on PostgreSQL)."""
        self.db_path = db_path
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, str(db_path), str(port), json.dumps(config or {})],
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: deque[str] = deque(maxlen=LOG_LINES)
        self.port = self._wait_for_port()
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_until_ready()

    def _wait_for_port(self) -> int:
        assert self.process.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line and self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            self.lines.append(line)
            found = _SERVING.search(line)
            if found:
                return int(found.group(1))
        raise TimeoutError("server did not report its port")

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/api/schema/openapi.json", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise TimeoutError("server did not answer")

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def logged(self, text: str) -> bool:
        """Whether a line of its log so far holds ``text``."""
        return any(text in line for line in list(self.lines))

    def kill(self) -> None:
        """kill -9: no shutdown code runs."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._close_pipe()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)  # a loaded machine: a replica's shutdown waits
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._close_pipe()

    def _close_pipe(self) -> None:
        self._reader.join(timeout=10)  # the process is gone: its pipe ends
        if self.process.stderr is not None:
            self.process.stderr.close()
