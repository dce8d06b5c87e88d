"""What the monitor benchmarks share: a real server in its own process, a database seeded
with realistic jobs, child processes that report one JSON line, RSS, and the machine.

Every process started here is registered and killed at exit, whatever happened; only
loopback addresses are used.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jobdesk.protocol import Attempt, Job, LogEntry, Priority, Status, SubOperation
from jobdesk.protocol import format_timestamp as stamp

HOST = "127.0.0.1"
QUIET_SERVER: dict[str, float] = {
    "retention_count": 10_000_000,
    "retention_age_s": 365 * 24 * 3600.0,
    "stale_after_s": 24 * 3600.0,
    "timeout_s": 24 * 3600.0,
    "sweep_interval_s": 3600.0,
    "history_events": 1_000_000,
}
"""ServerConfig changes that keep a server's seeded jobs as they are while a bench runs:
no retention (which would remove all but 1,000 finished jobs), no stale or timeout
rule, and no sweep of 100,000 jobs every 5 s competing for the cores."""

_LAUNCH = (
    "import json, sys; from pathlib import Path; "
    "from jobdesk.server.app import run_server; from jobdesk.server.config import ServerConfig; "
    "run_server(ServerConfig(db_path=Path(sys.argv[1]), host=sys.argv[2], port=int(sys.argv[3]), "
    "**json.loads(sys.argv[4])))"
)
_RUNNING: set[subprocess.Popen[Any]] = set()


def _kill_leftovers() -> None:
    for process in list(_RUNNING):
        if process.poll() is None:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        _RUNNING.discard(process)


atexit.register(_kill_leftovers)


def spawn(argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen``, registered to be killed at exit if still running."""
    process: subprocess.Popen[Any] = subprocess.Popen(list(argv), **kwargs)
    _RUNNING.add(process)
    return process


def reap(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Wait for ``process`` to end (killing it after ``timeout``) and forget it."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    _RUNNING.discard(process)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def listening(port: int) -> bool:
    """Whether a TCP connection to the port is accepted now."""
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


class ServerProc:
    """``jobdesk.server.app.run_server`` in its own process (what ``jobdesk serve`` runs).

    ``started`` and ``listening_at`` are ``time.monotonic()`` readings (one clock for
    every process on the machine): just before the process was started, and the first
    moment a TCP connection to its port was accepted."""

    def __init__(
        self,
        db_path: Path,
        port: int = 0,
        config: dict[str, float] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """``env``: the process's environment (``child_env`` gives it a bytecode cache,
        as an installed server has); None: this process's."""
        self.db_path = db_path
        self._env = env
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._config = {**QUIET_SERVER, **(config or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.listening_at = 0.0

    def start(self, timeout: float = 60.0) -> float:
        """Start the process and wait until it accepts connections; returns the seconds
        from process start to listening."""
        argv = [sys.executable, "-c", _LAUNCH, str(self.db_path), HOST, str(self.port)]
        self.started = time.monotonic()
        self.process = spawn(
            [*argv, json.dumps(self._config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=self._env,
        )
        deadline = self.started + timeout
        while not listening(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("the server did not start listening in time")
            time.sleep(0.005)
        self.listening_at = time.monotonic()
        return self.listening_at - self.started

    def stop(self) -> None:
        """SIGTERM: uvicorn's graceful shutdown (WebSockets closed with 1012)."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs; the kernel resets the connections."""
        self._end(signal.SIGKILL)

    def _end(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
        reap(self.process, timeout=20)
        self.process = None

    def __enter__(self) -> ServerProc:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# --- realistic jobs --------------------------------------------------------------------

JOB_TYPES = ("file_processing", "document_analysis", "llm_agent", "generic")
STATUS_MIX = (
    (Status.COMPLETED, 0.60),
    (Status.RUNNING, 0.18),
    (Status.QUEUED, 0.12),
    (Status.FAILED, 0.05),
    (Status.RETRYING, 0.03),
    (Status.CANCELLED, 0.02),
)
STEPS = ("download", "decode", "transform", "encode", "upload")
JOB_DESCRIPTION = (
    "each job: 60% completed, 18% running, 12% queued, 5% failed, 3% retrying, "
    "2% cancelled; 3-6 log entries (40-90 characters), 3-5 sub-operations, metadata of "
    "5 keys, a payload of 3 keys, an attempt history, a result or error when finished"
)


def make_jobs(count: int, seed: int = 1, now: datetime | None = None) -> list[Job]:
    """``count`` jobs as a busy server holds them (``JOB_DESCRIPTION``), updated within
    the last hour before ``now``."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    statuses = [status for status, _ in STATUS_MIX]
    weights = [weight for _, weight in STATUS_MIX]
    jobs = []
    for number in range(count):
        status = rng.choices(statuses, weights)[0]
        job_type = JOB_TYPES[number % len(JOB_TYPES)]
        created = now - timedelta(seconds=rng.uniform(600, 3600))
        started = created + timedelta(seconds=rng.uniform(1, 60))
        updated = started + timedelta(seconds=rng.uniform(1, 500))
        finished = status in (Status.COMPLETED, Status.FAILED, Status.CANCELLED)
        worker = f"worker-{number % 40:02d}"
        progress = 100.0 if status is Status.COMPLETED else 0.0
        if status in (Status.RUNNING, Status.FAILED, Status.RETRYING, Status.CANCELLED):
            progress = round(rng.uniform(1, 99), 1)
        steps = STEPS[: rng.randint(3, 5)]
        sub_operations = [
            SubOperation(
                name=step,
                weight=float(rng.randint(1, 4)),
                progress=min(100.0, max(0.0, progress * len(steps) - 100.0 * index)),
            )
            for index, step in enumerate(steps)
        ]
        messages = [
            LogEntry(
                level="warning" if rng.random() < 0.1 else "info",
                text=f"{step}: {rng.randint(1, 5000)} of {rng.randint(5000, 9000)} frames "
                f"from s3://renders/{number:06d}/part-{index}.exr done",
                timestamp=stamp(started + timedelta(seconds=10 * index)),
            )
            for index, step in enumerate(steps[: rng.randint(3, 5)])
        ]
        if status is Status.FAILED:
            messages.append(
                LogEntry(level="error", text="CUDA out of memory", timestamp=stamp(updated))
            )
        attempt = Attempt(
            number=1,
            worker=worker,
            started_at=stamp(started),
            ended_at=stamp(updated) if finished else None,
            outcome="completed"
            if status is Status.COMPLETED
            else "failed"
            if status is Status.FAILED
            else "cancelled"
            if status is Status.CANCELLED
            else "running",
            error="CUDA out of memory" if status is Status.FAILED else None,
        )
        waiting = status is Status.QUEUED
        jobs.append(
            Job(
                id=f"job_{number:08x}{rng.getrandbits(32):08x}",
                name=f"render shot {number:06d} ({'gpu' if number % 2 else 'cpu'})",
                job_type=job_type,
                status=status,
                progress=progress,
                message="" if waiting else f"{steps[-1]}: frame {rng.randint(1, 9000)}",
                messages=[] if waiting else messages,
                sub_operations=sub_operations,
                metadata={
                    "queue": "gpu" if number % 2 else "cpu",
                    "project": f"film-{number % 12}",
                    "frames": rng.randint(100, 9000),
                    "input": f"s3://renders/{number:06d}/scene.usd",
                    "resolution": "3840x2160",
                },
                priority=rng.choice(list(Priority)),
                owner="" if waiting else worker,
                result={"frames": 240, "output": f"s3://out/{number:06d}.mp4"}
                if status is Status.COMPLETED
                else None,
                error="CUDA out of memory" if status is Status.FAILED else None,
                attempts=0 if waiting else 1,
                version=1 if waiting else rng.randint(5, 60),
                created_at=stamp(created),
                started_at=None if waiting else stamp(started),
                updated_at=stamp(created if waiting else updated),
                finished_at=stamp(updated) if finished else None,
                payload={"scene": f"s3://renders/{number:06d}/scene.usd", "first": 1, "last": 240},
                max_attempts=3,
                history=[] if waiting else [attempt],
            )
        )
    return jobs


def seed_database(db_path: Path, jobs: Sequence[Job]) -> dict[str, str]:
    """A server database holding ``jobs`` (one event each, as if each was written once),
    with a viewer and a worker token; returns the tokens by role."""
    from jobdesk.server.changes import Change
    from jobdesk.server.storage import Storage
    from jobdesk.server.tokens import create_token

    tokens = {role: create_token(db_path, role, f"bench-{role}") for role in ("viewer", "worker")}
    storage = Storage.open(db_path)
    try:
        chunk = 10_000
        for first in range(0, len(jobs), chunk):
            part = jobs[first : first + chunk]
            changes = [Change(first + i + 1, job.id, job) for i, job in enumerate(part)]
            storage.commit(changes, first + len(part), None)
    finally:
        storage.close()
    return tokens


def json_bytes_per_job(jobs: Sequence[Job]) -> float:
    import msgspec

    return len(msgspec.json.encode(list(jobs))) / max(1, len(jobs))


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield Path(folder)


# --- child processes -------------------------------------------------------------------


def child_env(home: Path, bytecode: bool = True) -> dict[str, str]:
    """A child's environment: offscreen Qt, private config folder, no D-Bus session (so
    notifications go to the tray and nothing of the user's desktop is touched).

    ``bytecode``: cache compiled modules, as an installed application has them, in a
    folder of the bench's own (``PYTHONPYCACHEPREFIX``), even where the environment
    says not to (``PYTHONDONTWRITEBYTECODE``); the first child fills it. Otherwise
    every module is compiled from source at every start."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DBUS_SESSION_BUS_ADDRESS", "PYTHONSTARTUP", "PYTHONDONTWRITEBYTECODE")
    }
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_RUNTIME_DIR=str(home),
        PYTHONUNBUFFERED="1",
    )
    if bytecode:
        env["PYTHONPYCACHEPREFIX"] = str(home / "bytecode")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def run_child(
    code: str, args: Sequence[str], home: Path, timeout: float, bytecode: bool = True
) -> dict[str, Any]:
    """Run ``python -c code args...``; its last stdout line is a JSON object, returned."""
    process = spawn(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(home, bytecode),
        text=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise TimeoutError(f"a bench child took more than {timeout:.0f} s") from None
    finally:
        _RUNNING.discard(process)
    lines = out.strip().splitlines()
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"a bench child failed ({process.returncode}):\n{err[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def report(values: dict[str, Any]) -> None:
    """A child's answer to ``run_child``."""
    print(json.dumps(values), flush=True)


# --- measuring -------------------------------------------------------------------------


def status_kb(field: str) -> int:
    """A field of /proc/self/status in kB (VmRSS: resident now; VmHWM: its peak)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def machine() -> str:
    """One line: the CPU, cores, memory, kernel, Python, PySide6, the load when the run
    began, and a yardstick.

    Figures from different machines differ by far more than their core counts say (the
    same ingest run gave half the updates/s on a VM whose yardstick was twice as slow), so
    the line carries the CPU's name and the seconds for 5 million additions in a Python
    loop, to compare machines by.
    """
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError), open("/proc/meminfo", encoding="ascii") as info:
        memory = f", {int(info.readline().split()[1]) // 1024 // 1024} GB"
    try:
        from importlib.metadata import version

        qt = f", PySide6 {version('pyside6-essentials')}"
    except Exception:
        qt = ""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}, Linux {platform.release()}, "
        f"Python {platform.python_version()}{qt}, load average {load}, "
        f"yardstick {yardstick_s():.2f} s"
    )


def yardstick_s() -> float:
    """Seconds for 5 million additions in a Python loop, the best of three runs (a
    single run varied by half on a busy VM): the interpreter's speed on this machine."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(5_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return best


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table (pastes into docs/benchmarks.md as it is); columns after the
    first are right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            "-" * (width + 2) if i == 0 else "-" * (width + 1) + ":"
            for i, width in enumerate(widths)
        )
        + "|"
    )
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def median(values: Sequence[float]) -> float:
    """The median; NaN for no values (a case that measured nothing)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
