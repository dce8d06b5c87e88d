"""The real AppSync simulator (``@aws-amplify/amplify-appsync-simulator`` from npm) for
the appsync adapter's tests: installed once into a cache (a file lock keeps parallel
xdist workers from installing at once), run by ``appsync_simulator.js`` on a free
loopback port, and asked for the truth over its own GraphQL endpoint.

``graphql@15`` is pinned beside it: with the graphql the simulator pulls in by itself it
crashes on its first subscription.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

import httpx

from tests.system_packages import require

SIMULATOR = "@aws-amplify/amplify-appsync-simulator"
PACKAGES = {SIMULATOR: "2.16.20", "graphql": "15.11.0"}
LAUNCHER = Path(__file__).with_name("appsync_simulator.js")
API_KEY = "da2-jobdesk-test-key"


NODE = {"node": "nodejs", "npm": "npm"}
"""The programs the simulator needs, and the Debian packages they come in."""


def cache_dir() -> Path:
    base = os.environ.get("JOBDESK_TEST_CACHE") or str(Path.home() / ".cache" / "jobdesk-tests")
    return Path(base) / "appsync"


def installed() -> Path:
    """The simulator's node_modules, installed by npm on first use (several minutes
    at most; every later run finds the stamp and returns at once)."""
    require(programs=NODE)  # a fresh Debian has neither node nor npm
    home = cache_dir()
    home.mkdir(parents=True, exist_ok=True)
    wanted = json.dumps(PACKAGES, sort_keys=True)
    stamp = home / "installed.json"
    with (home / "install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (stamp.exists() and stamp.read_text() == wanted):
            npm = shutil.which("npm")
            assert npm is not None, "npm is needed to install the AppSync simulator"
            manifest = {"name": "jobdesk-appsync-sim", "private": True, "dependencies": PACKAGES}
            (home / "package.json").write_text(json.dumps(manifest))
            subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=home,
                check=True,
                timeout=600,
                stdout=subprocess.DEVNULL,
            )
            stamp.write_text(wanted)
    return home / "node_modules"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Simulator:
    """One simulator process (restartable on the same port, with the same jobs)."""

    def __init__(
        self,
        modules: Path,
        state: Path,
        api_key: str = API_KEY,
        *,
        keepalive_ms: int | None = None,
        timeout_ms: int | None = None,
    ) -> None:
        self.modules = modules
        self._timings = {
            name: str(value)
            for name, value in (("APPSYNC_KA_MS", keepalive_ms), ("APPSYNC_TIMEOUT_MS", timeout_ms))
            if value is not None
        }
        self.state = state
        self.api_key = api_key
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        self._process: subprocess.Popen[str] | None = None
        self._stderr: list[str] = []
        self.start()

    def start(self) -> None:
        require(programs=NODE)
        node = shutil.which("node")
        assert node is not None, "node is needed to run the AppSync simulator"
        process = subprocess.Popen(
            [node, str(LAUNCHER), str(self.port), str(self.state), self.api_key],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **self._timings, "NODE_PATH": str(self.modules)},
        )
        self._process = process
        assert process.stderr is not None
        self._drainer = threading.Thread(target=self._drain, args=(process.stderr,), daemon=True)
        self._drainer.start()
        if self._line() != "ready":
            raise AssertionError(f"the simulator did not start: {''.join(self._stderr)}")

    def _drain(self, stream: Any) -> None:
        for line in stream:
            self._stderr.append(line)

    def _line(self) -> str:
        assert self._process is not None
        assert self._process.stdout is not None
        return self._process.stdout.readline().strip()

    def drop(self) -> None:
        """Cut every realtime connection without a close frame (a reset mid-stream)."""
        self._command("drop", "dropped")

    def mute(self, muted: bool = True) -> None:
        """Stop (or resume) the keep-alives: the connection stays open but says nothing."""
        word = "mute" if muted else "unmute"
        self._command(word, f"{word}d")

    def _command(self, command: str, answer: str) -> None:
        assert self._process is not None
        assert self._process.stdin is not None
        self._process.stdin.write(f"{command}\n")
        self._process.stdin.flush()
        assert self._line() == answer

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self._drainer.join()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()

    # --- the truth, from the simulator's own GraphQL endpoint ------------------------

    async def execute(self, document: str, variables: dict[str, Any] | None = None) -> Any:
        async with httpx.AsyncClient(headers={"x-api-key": self.api_key}) as http:
            answer = await http.post(self.url, json={"query": document, "variables": variables})
        body = answer.json()
        assert not body.get("errors"), body
        return next(iter(body["data"].values()))

    async def jobs(self) -> dict[str, dict[str, Any]]:
        fields = "id status request priority result createdAt updatedAt"
        listed = await self.execute("query { listJobs { " + fields + " } }")
        return {job["id"]: job for job in listed}

    async def submit(self, request: str, priority: str = "MEDIUM") -> str:
        job = await self.execute(
            "mutation S($input: SubmitJobInput!) { submitJob(input: $input) { id } }",
            {"input": {"request": request, "priority": priority}},
        )
        return str(job["id"])

    async def update(self, job_id: str, status: str, result: str | None = None) -> None:
        await self.execute(
            "mutation U($id: ID!, $s: String!, $r: String) "
            "{ updateJob(id: $id, status: $s, result: $r) { id } }",
            {"id": job_id, "s": status, "r": result},
        )
