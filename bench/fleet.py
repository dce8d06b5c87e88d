"""A server, monitors and workers, each in processes of their own, for the ingest and
latency benchmarks.

- ``Server``: ``jobdesk serve``'s code (uvicorn, uvloop) on a fresh database and a free
  loopback port, with tokens made before it starts; ``kill`` is kill -9.
- ``Monitors``: one process holding ``count`` monitors: each an ``Engine`` (WebSocket push,
  the GUI's own engine) into a ``JobStore`` of its own. A store listener notes, for each
  job state applied, how long ago its status line's stamp (``t=<time.time_ns()>``) was
  taken, and counts what was applied.
- ``Producers``: one process of workers: an ``AsyncJobdeskClient`` starting ``jobs``
  jobs and reporting their progress at a set rate, round robin; at ``stop`` it flushes
  every reporter and answers with each job's last value, which the server acknowledged.

The children take commands on stdin and answer with one JSON line on stdout. Run
``python -m bench.fleet monitors|producers|serve ...``; only the driver classes are for
import.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import hashlib
import json
import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from jobdesk.protocol import Job
from jobdesk.protocol.rest import Snapshot
from tests.paged import read_all

STAMP_PREFIX = "t="
_SERVING = re.compile(r"serving http://127\.0\.0\.1:(\d+)")
ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}


# --- the driver's side ------------------------------------------------------------------


class Server:
    """A jobdesk server process on ``folder / "jobdesk.db"``."""

    def __init__(self, folder: Path, config: dict[str, Any] | None = None) -> None:
        from jobdesk.server.tokens import create_token

        folder.mkdir(parents=True, exist_ok=True)
        self.db_path = folder / "jobdesk.db"
        self.worker_token = create_token(self.db_path, "worker", "bench-worker")
        self.viewer_token = create_token(self.db_path, "viewer", "bench-monitor")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.fleet", "serve", str(self.db_path),
             json.dumps(config or {})],
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            cwd=ROOT,
        )  # fmt: skip
        self.port = self._wait_for_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._http = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.viewer_token}"}, timeout=30
        )
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()

    def _wait_for_port(self) -> int:
        assert self.process.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line and self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            if found := _SERVING.search(line):
                return int(found.group(1))
        raise TimeoutError("the server did not say its port")

    def _read_stderr(self) -> None:
        """Keep the pipe drained; show what the server logs beyond its start."""
        assert self.process.stderr is not None
        for line in self.process.stderr:
            sys.stderr.write(f"  [server] {line}")

    def snapshot(self) -> Snapshot[Job]:
        return read_all(self._http, Job)

    def kill(self) -> None:
        """kill -9: whatever was acknowledged must be in the database file already."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self._http.close()

    def pid(self) -> int:
        return self.process.pid


class Child:
    """A monitor or producer process: one command line in, one JSON line out."""

    def __init__(self, role: str, *args: str) -> None:
        self.role = role
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.fleet", role, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=_env(),
            cwd=ROOT,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def answer(self, timeout: float = 60.0) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"{self.role} did not answer in {timeout:.0f} s") from None
        if line is None:
            raise RuntimeError(f"{self.role} exited with {self.process.wait()}")
        found: dict[str, Any] = json.loads(line)
        return found

    def ask(self, command: str, timeout: float = 60.0) -> dict[str, Any]:
        self.send(command)
        return self.answer(timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.send("quit")
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def monitors(url: str, token: str, count: int, *, batch: bool = True, nice: int = 0) -> Child:
    """``nice``: a lower priority than the server's (the ingest benchmark: on this machine
    the monitors stand in for desktops that in real life bring CPUs of their own)."""
    return Child("monitors", url, token, str(count), "batch" if batch else "single", str(nice))


def producers(
    url: str, token: str, jobs: int, *, batch: bool = True, interval: float = 0.2
) -> Child:
    return Child("producers", url, token, str(jobs), "batch" if batch else "single", str(interval))


def ask_all(children: Sequence[Child], command: str, timeout: float = 60.0) -> list[dict[str, Any]]:
    """Send a command to every child first, then collect the answers."""
    for child in children:
        child.send(command)
    return [child.answer(timeout) for child in children]


def digest(jobs: Iterable[tuple[str, int]]) -> str:
    """Which jobs at which versions: a version names one state of a job, so two equal
    digests mean two equal sets of jobs."""
    text = ";".join(f"{job_id}:{version}" for job_id, version in sorted(jobs))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def snapshot_digest(snapshot: Snapshot[Job]) -> str:
    return digest((job.id, job.version) for job in snapshot.jobs)


def wait_until_consistent(
    server: Server, children: Sequence[Child], within: float = 30.0
) -> tuple[Snapshot[Job], float]:
    """Until every monitor's store equals the server's state (same seq, same jobs at the
    same versions); returns the snapshot and the seconds it took."""
    started = time.monotonic()
    snapshot = server.snapshot()
    wanted = [snapshot.seq, snapshot_digest(snapshot)]
    while True:
        stores = [store for answer in ask_all(children, "digest") for store in answer["stores"]]
        if all(store == wanted for store in stores):
            return snapshot, time.monotonic() - started
        if time.monotonic() - started > within:
            behind = [store for store in stores if store != wanted]
            raise AssertionError(
                f"{len(behind)} of {len(stores)} monitors differ from the server "
                f"(seq {snapshot.seq}): e.g. {behind[:3]}"
            )
        time.sleep(0.2)


@dataclass
class Durability:
    jobs: int
    seq: int
    events: int
    wrong: list[str]


def check_database(db_path: Path, acknowledged: dict[str, float], seq: int) -> Durability:
    """After kill -9: each job's stored progress is its last acknowledged value, the
    stored seq is the one the monitors reached, and every event since the kept history
    floor is there."""
    wrong: list[str] = []
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        stored_seq, floor = int(meta["seq"]), int(meta["history_floor"])
        events = db.execute("SELECT count(*) FROM events WHERE seq > ?", (floor,)).fetchone()[0]
        progress = {
            job_id: json.loads(data)["progress"]
            for job_id, data in db.execute("SELECT id, data FROM jobs").fetchall()
        }
    if stored_seq != seq:
        wrong.append(f"stored seq {stored_seq}, the monitors' {seq}")
    if events != stored_seq - floor:
        wrong.append(f"{events} events stored after seq {floor}, {stored_seq - floor} expected")
    for job_id, percent in acknowledged.items():
        stored = progress.get(job_id)
        if stored is None or abs(stored - percent) > 1e-6:
            wrong.append(f"{job_id}: stored {stored}, acknowledged {percent}")
    return Durability(len(progress), stored_seq, events, wrong)


def _busy_ticks() -> int:
    """Clock ticks the machine's CPUs spent busy since boot (all processes, any user)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields[:8]) - idle


def _process_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


class CpuWatch:
    """CPU used over a window by our processes, and by everything else on the machine:
    the noise the same-run baseline is there for, put in numbers."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._started = time.monotonic()
        self._busy = _busy_ticks()
        self._ours = {name: _process_ticks(pid) for name, pid in pids.items()}

    def cores(self) -> dict[str, float]:
        """Cores used on average, per process name, plus ``others``."""
        seconds = time.monotonic() - self._started
        tick = os.sysconf("SC_CLK_TCK")
        used = {
            name: (_process_ticks(pid) - self._ours[name]) / tick / seconds
            for name, pid in self._pids.items()
        }
        used["others"] = max(
            0.0, (_busy_ticks() - self._busy) / tick / seconds - sum(used.values())
        )
        return used


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- the children's side ----------------------------------------------------------------


def _reply(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


async def _commands() -> AsyncIterator[list[str]]:
    """Lines from stdin, read in a thread so the event loop keeps serving."""
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        yield line.split()


def serve(db_path: str, config: str) -> None:
    from jobdesk.server.app import run_server
    from jobdesk.server.config import ServerConfig

    run_server(ServerConfig(db_path=Path(db_path), port=0, **json.loads(config)))


@functools.lru_cache(maxsize=4096)
def _ns(timestamp: str) -> int:
    from jobdesk.protocol import parse_timestamp

    return int(parse_timestamp(timestamp).timestamp() * 1e9)


class _Watch:
    """One monitor's store listener: counts, and the age of each stamped state."""

    def __init__(self, ages: list[int], since_server: list[int]) -> None:
        self.ages = ages
        self.since_server = since_server
        """Nanoseconds since the server took the update in (``updatedAt``, to the ms)."""
        self.recording = False
        self.applies = 0
        self.states = 0
        self.arrivals: list[tuple[int, int]] | None = None
        """While recording with ``record arrivals``: (stamp, time.time_ns() applied) of
        each stamped state this monitor applied, to tell when *every* monitor had one."""

    def __call__(self, changes: list[Any]) -> None:
        now = time.time_ns()
        self.applies += 1
        for change in changes:
            job = change.job
            if job is None:
                continue
            self.states += 1
            if self.recording and job.message.startswith(STAMP_PREFIX):
                stamp = int(job.message[2:])
                self.ages.append(now - stamp)
                self.since_server.append(now - _ns(job.updated_at))
                if self.arrivals is not None:
                    self.arrivals.append((stamp, now))


class _GcClock:
    """Time spent in the cyclic garbage collector, per generation."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.runs = [0, 0, 0]
        self._started = 0.0
        gc.callbacks.append(self._note)

    def _note(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self._started
            self.runs[info["generation"]] += 1

    def reset(self) -> None:
        self.seconds, self.runs = [0.0, 0.0, 0.0], [0, 0, 0]


async def run_monitors(url: str, token: str, count: int, batch: bool) -> None:
    from jobdesk.client.engine import Engine
    from jobdesk.core.connection import Transport
    from jobdesk.core.store import JobStore

    ages: list[int] = []
    since_server: list[int] = []
    stores = [JobStore() for _ in range(count)]
    watches = [_Watch(ages, since_server) for _ in range(count)]
    engines = [Engine(f"m{i}", url, token, store, batch=batch) for i, store in enumerate(stores)]
    for store, watch in zip(stores, watches, strict=True):
        store.subscribe(watch)
    tasks = [asyncio.create_task(engine.run()) for engine in engines]
    collector = _GcClock()
    try:
        async for command in _commands():
            name = command[0]
            if name == "wait_ready":
                jobs = int(command[1])
                deadline = time.monotonic() + 60
                while not all(
                    e.state.value.transport is Transport.LIVE and len(s) >= jobs
                    for e, s in zip(engines, stores, strict=True)
                ):
                    if time.monotonic() > deadline:
                        raise TimeoutError("monitors not live")
                    await asyncio.sleep(0.05)
                _reply({"ready": True})
            elif name == "record":
                collector.reset()
                ages.clear()
                since_server.clear()
                for watch in watches:
                    watch.recording, watch.applies, watch.states = True, 0, 0
                    watch.arrivals = [] if command[1:] == ["arrivals"] else None
                _reply({"recording": True})
            elif name == "stop_record":
                for watch in watches:
                    watch.recording = False
                answer: dict[str, Any] = {
                    "ages": ages,
                    "since_server": since_server,
                    "applies": [w.applies for w in watches],
                    "states": [w.states for w in watches],
                    "reconnects": sum(e.handshakes - 1 for e in engines),
                    "gc_seconds": collector.seconds,
                    "gc_runs": collector.runs,
                }
                if any(w.arrivals is not None for w in watches):
                    answer["arrivals"] = [w.arrivals or [] for w in watches]
                _reply(answer)
            elif name == "digest":
                views = [store.server(f"m{i}") for i, store in enumerate(stores)]
                _reply(
                    {
                        "stores": [
                            [v.seq, digest((i, j.version) for i, j in v.jobs.items())]
                            for v in views
                        ]
                    }
                )
            elif name == "quit":
                return
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def run_producers(url: str, token: str, jobs: int, batch: bool, interval: float) -> None:
    from jobdesk.sdk import AsyncJobdeskClient, AsyncJobReporter

    async with AsyncJobdeskClient(
        url, token, batch=batch, flush_interval=interval, timeout=60
    ) as client:
        reporters: list[AsyncJobReporter] = []
        for start in range(0, jobs, 50):
            made = await asyncio.gather(
                *[
                    client.start_job("bench", name=f"bench-{i}")
                    for i in range(start, min(jobs, start + 50))
                ]
            )
            reporters += made
        _reply({"jobs": len(reporters)})
        last: dict[str, float] = {}
        calls = 0
        pacer: asyncio.Task[None] | None = None

        async def pace(rate: float, stamped: bool, tick: float, limit: int | None) -> None:
            nonlocal calls
            loop = asyncio.get_running_loop()
            began, done, turn = loop.time(), 0, 0
            while limit is None or done < limit:
                due = int((loop.time() - began) * rate) - done
                if limit is not None:
                    due = min(due, limit - done)
                for _ in range(due):
                    reporter = reporters[turn % len(reporters)]
                    turn += 1
                    value = (turn // len(reporters) % 10_000) / 100
                    if stamped:
                        reporter.progress(value, f"{STAMP_PREFIX}{time.time_ns()}")
                    else:
                        reporter.progress(value)
                    last[reporter.job_id] = value
                done += due
                calls += due
                await asyncio.sleep(tick)

        async for command in _commands():
            name = command[0]
            if name == "go":
                rate, stamped, tick = float(command[1]), command[2] == "1", float(command[3])
                limit = int(command[4]) if len(command) > 4 else None
                calls = 0
                pacer = asyncio.create_task(pace(rate, stamped, tick, limit))
                _reply({"going": True})
            elif name == "wait_done":  # a ``go`` with a limit: until its last call is made
                if pacer is not None:
                    await pacer
                _reply({"calls": calls})
            elif name == "stop":
                if pacer is not None:
                    pacer.cancel()
                    await asyncio.gather(pacer, return_exceptions=True)
                flushed = time.monotonic()
                await asyncio.gather(*[r.flush() for r in reporters])
                _reply(
                    {
                        "last": last,
                        "calls": calls,
                        "flush_s": time.monotonic() - flushed,
                    }
                )
            elif name == "quit":
                return


def main(argv: list[str]) -> int:
    role, args = argv[0], argv[1:]
    if role == "serve":
        serve(*args)
        return 0
    if role == "monitors":
        os.nice(int(args[4]))
        work = run_monitors(args[0], args[1], int(args[2]), args[3] == "batch")
    elif role == "producers":
        work = run_producers(args[0], args[1], int(args[2]), args[3] == "batch", float(args[4]))
    else:
        raise SystemExit(f"unknown role {role!r}")
    asyncio.run(work)  # the default loop, as the monitor's engine and most workers run
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
