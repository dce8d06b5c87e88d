"""A server whose database holds 10,000, 100,000 or 1,000,000 jobs, 90% of them finished:
what the history costs it, beside the same live set alone.

Each database is a SQLite file migrated by the server's own code (``open_engine``, what
``jobdesk serve`` runs at start), then filled with rows written directly with SQL (the
columns ``jobdesk.server.db.columns.job_row`` gives): 10% active (60% queued, 35%
running, 5% retrying, all in the live set), 90% finished, of which the newest
``retention_count`` (1,000) are live and the rest history (``live = 0``), as retention
leaves them. The jobs are ``bench.procs``' realistic ones (about 1.7 KB of JSON each).

The server runs in a child process, as ``jobdesk serve`` runs it (``JobService``, the
Litestar app, uvicorn on uvloop), with one addition that is the bench's: a task that
sleeps 2 ms at a time and notes how late it wakes, the event loop's stall.

Per size, in order:

- **start-up**: from just before the process is started to the first answered
  ``GET /api/jobs`` (one monotonic clock for both processes);
- **RSS** after start-up (and after a first snapshot, which leaves each job's JSON
  cached beside it);
- **snapshot**: a fresh client reads ``GET /api/jobs`` page by page (500 jobs each),
  as a monitor starting does;
- **sweeps**: three sweeps of a quiet server (nothing to change: the sweeper's scan), then
  one with the server's clock moved 11 minutes on, so every running job goes stale at once
  (a server back after an outage): the longest loop stall during each;
- the longest stall over 6 s of idling after start (the periodic overview and stats).

**Baseline** per size, in the same run: a database holding that size's live set alone (no
history): the same start-up and RSS, so what the history costs is the difference.

**Claims**: ``POST /api/queue/claim`` one at a time (200 claims, the median), with 300
and with 100,000 jobs queued (and 1,000 finished).

Goals: RSS at the largest size within 1.5x of its live set alone; start-up <= 5 s; no
loop stall over 50 ms; a claim's cost flat (<= 1.5x) from 300 to 100,000 queued.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec

from bench.fleet import ROOT
from bench.procs import HOST, free_port, machine, median, spawn, table
from jobdesk.protocol import Attempt, Job, Status, format_timestamp

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
FINISHED_SHARE = 0.9
ACTIVE_MIX = ((Status.QUEUED, 0.60), (Status.RUNNING, 0.35), (Status.RETRYING, 0.05))
RETENTION_COUNT = 1_000
"""The server's default ``retention_count``: finished jobs kept in the live set."""
CLAIM_QUEUES = (300, 100_000)
CLAIMS = 200
PROBE_S = 0.002
IDLE_S = 6.0
STALE_JUMP_S = 11 * 60.0
"""Past the default stale limit (10 min): every running job goes stale in one sweep."""
GOAL_RSS_RATIO = 1.5
GOAL_STARTUP_S = 5.0
GOAL_STALL_MS = 50.0
GOAL_CLAIM_RATIO = 1.5
CHILD_CONFIG: dict[str, float] = {"sweep_interval_s": 3600.0}
"""Sweeps are the bench's to start (one every 5 s would fall inside the other figures)."""


# --- the database ----------------------------------------------------------------------


def _stamp(seconds: float) -> str:
    return format_timestamp(datetime.fromtimestamp(seconds, UTC))


class _Template:
    """A finished job's JSON with its id and times left open, filled by joining bytes:
    a history row costs about a microsecond, where building and encoding a Job costs 15."""

    FIELDS = ("id", "created", "started", "updated", "finished")

    def __init__(self, job: Job) -> None:
        marks = {name: f"@@{name}@@" for name in self.FIELDS}
        marked = msgspec.structs.replace(
            job,
            id=marks["id"],
            created_at=marks["created"],
            started_at=marks["started"],
            updated_at=marks["updated"],
            finished_at=marks["finished"],
        )
        data = msgspec.json.encode(marked)
        found = sorted((data.index(m.encode()), name) for name, m in marks.items())
        self._parts: list[bytes] = []
        self._order = [name for _, name in found]
        at = 0
        for position, name in found:
            self._parts.append(data[at:position])
            at = position + len(marks[name])
        self._parts.append(data[at:])
        self.status = job.status.value
        self.owner = job.owner
        self.job_type = job.job_type
        self.version = job.version
        self.priority = job.priority.rank

    def render(self, values: dict[str, str]) -> bytes:
        pieces = [self._parts[0]]
        for name, part in zip(self._order, self._parts[1:], strict=True):
            pieces.append(values[name].encode())
            pieces.append(part)
        return b"".join(pieces)


def _pool(count: int = 2_000) -> dict[Status, list[Job]]:
    from bench.procs import make_jobs

    pool: dict[Status, list[Job]] = {}
    for job in make_jobs(count):
        pool.setdefault(job.status, []).append(job)
    return pool


@dataclass
class Plan:
    """What one database holds."""

    active: int
    finished_live: int
    history: int

    @property
    def total(self) -> int:
        return self.active + self.finished_live + self.history

    @property
    def live(self) -> int:
        return self.active + self.finished_live

    @classmethod
    def of_size(cls, size: int) -> Plan:
        finished = round(size * FINISHED_SHARE)
        live = min(finished, RETENTION_COUNT)
        return cls(size - finished, live, finished - live)


def _active_job(template: Job, status: Status, number: int, now: float, rng: random.Random) -> Job:
    job_id = f"job_a{number:015x}"
    created = now - rng.uniform(60, 600)
    if status is Status.QUEUED:
        return msgspec.structs.replace(
            template, id=job_id, created_at=_stamp(created), updated_at=_stamp(created)
        )
    started = now - rng.uniform(30, 480)
    created = min(created, started - 1)
    updated = now - rng.uniform(0, 20)
    attempt = Attempt(number=1, worker=template.owner or "worker-00", started_at=_stamp(started))
    return msgspec.structs.replace(
        template,
        id=job_id,
        status=status,
        created_at=_stamp(created),
        started_at=_stamp(started),
        updated_at=_stamp(updated),
        finished_at=None,
        history=[attempt],
        owner=template.owner or "worker-00",
        retry_at=None,
        lease_expires_at=None,
        stale=False,
    )


def build_database(path: Path, plan: Plan, seed: int = 1) -> dict[str, str]:
    """A migrated database holding ``plan``'s rows; returns a viewer and a worker token."""
    from jobdesk.server.db.columns import COLUMNS, job_row
    from jobdesk.server.storage import Storage
    from jobdesk.server.tokens import create_token

    Storage.open(path).close()  # create and migrate, as the server does at start
    tokens = {role: create_token(path, role, f"bench-{role}") for role in ("viewer", "worker")}
    rng = random.Random(seed)
    pool = _pool()
    finished_pool = [
        j for s in (Status.COMPLETED, Status.FAILED, Status.CANCELLED) for j in pool[s]
    ]
    templates = [_Template(job) for job in finished_pool]
    now = time.time()
    insert = f"INSERT INTO jobs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    encode = msgspec.json.Encoder().encode
    seq = 0
    statuses = [s for s, _ in ACTIVE_MIX]
    weights = [w for _, w in ACTIVE_MIX]

    def rows() -> Iterator[tuple[object, ...]]:
        nonlocal seq
        for number in range(plan.active):
            status = rng.choices(statuses, weights)[0]
            template = rng.choice(
                pool[Status.QUEUED if status is Status.QUEUED else Status.RUNNING]
            )
            job = _active_job(template, status, number, now, rng)
            seq += 1
            yield job_row(job, seq, encode(job))
        for number in range(plan.finished_live):  # the newest finished: the last minutes
            finished = now - 1 - number * 0.2
            job = msgspec.structs.replace(
                rng.choice(finished_pool),
                id=f"job_f{number:015x}",
                created_at=_stamp(finished - 300),
                started_at=_stamp(finished - 240),
                updated_at=_stamp(finished),
                finished_at=_stamp(finished),
            )
            seq += 1
            yield job_row(job, seq, encode(job))
        spacing = 30 * 24 * 3600 / max(1, plan.history)  # the rest over the last 30 days
        for number in range(plan.history):
            t = rng.choice(templates)
            finished = now - 600 - number * spacing
            times = {
                "id": f"job_h{number:015x}",
                "created": _stamp(finished - 300),
                "started": _stamp(finished - 240),
                "updated": _stamp(finished),
                "finished": _stamp(finished),
            }
            seq += 1
            yield (
                times["id"], seq, t.status, t.owner, t.job_type, t.render(times), t.version,
                False, t.priority, times["created"], None, finished,
            )  # fmt: skip

    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA synchronous=OFF")
        db.execute("BEGIN")
        batch: list[tuple[object, ...]] = []
        for row in rows():
            batch.append(row)
            if len(batch) == 20_000:
                db.executemany(insert, batch)
                batch.clear()
        db.executemany(insert, batch)
        db.execute("UPDATE meta SET value = ? WHERE key IN ('seq', 'history_floor')", (str(seq),))
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return tokens


def build_queue(path: Path, queued: int) -> dict[str, str]:
    """A database of ``queued`` waiting jobs and ``RETENTION_COUNT`` finished ones."""
    from jobdesk.server.db.columns import COLUMNS, job_row
    from jobdesk.server.storage import Storage
    from jobdesk.server.tokens import create_token

    Storage.open(path).close()
    tokens = {role: create_token(path, role, f"bench-{role}") for role in ("viewer", "worker")}
    rng = random.Random(2)
    pool = _pool()
    finished = [j for s in (Status.COMPLETED, Status.FAILED) for j in pool[s]]
    now = time.time()
    encode = msgspec.json.Encoder().encode
    rows: list[tuple[object, ...]] = []
    for number in range(queued):
        job = _active_job(rng.choice(pool[Status.QUEUED]), Status.QUEUED, number, now, rng)
        rows.append(job_row(job, len(rows) + 1, encode(job)))
    for number in range(RETENTION_COUNT):
        done = now - 1 - number
        job = msgspec.structs.replace(
            rng.choice(finished),
            id=f"job_f{number:015x}",
            updated_at=_stamp(done),
            finished_at=_stamp(done),
        )
        rows.append(job_row(job, len(rows) + 1, encode(job)))
    insert = f"INSERT INTO jobs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("BEGIN")
        db.executemany(insert, rows)
        db.execute(
            "UPDATE meta SET value = ? WHERE key IN ('seq', 'history_floor')", (str(len(rows)),)
        )
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return tokens


# --- the server's process --------------------------------------------------------------


@dataclass
class _Probe:
    """The event loop's lateness: a task sleeping ``PROBE_S`` at a time."""

    worst: float = 0.0
    over: int = 0
    """Stalls over the goal since the last reset."""

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(PROBE_S)
            late = loop.time() - before - PROBE_S
            if late > self.worst:
                self.worst = late
            if late * 1000 > GOAL_STALL_MS:
                self.over += 1

    def take(self) -> dict[str, float]:
        taken = {"worst_ms": self.worst * 1000, "over": self.over}
        self.worst, self.over = 0.0, 0
        return taken


def serve_child(argv: list[str]) -> None:
    """``DB PORT CONFIG``: the server as ``jobdesk.server.app.run_server`` runs it, plus
    the loop probe; commands on stdin (``lag``, ``sweep``, ``advance SECONDS``), one JSON
    answer line each on stdout."""
    marks = {"python_up": time.monotonic()}
    from jobdesk.server.app import JobdeskServer, bind_socket, create_app, uvicorn_config
    from jobdesk.server.collector import freeze_loaded
    from jobdesk.server.config import ServerConfig
    from jobdesk.server.service import JobService

    marks["imported"] = time.monotonic()
    db_path, port, extra = Path(argv[0]), int(argv[1]), json.loads(argv[2])
    config = ServerConfig(db_path=db_path, host=HOST, port=port, **extra)
    ahead = [0.0]

    def clock() -> datetime:
        return datetime.now(UTC) + timedelta(seconds=ahead[0])

    service = JobService(config, clock=clock)
    freeze_loaded()
    marks["loaded"] = time.monotonic()
    app = create_app(config, service)
    sock = bind_socket(config.host, config.port)
    probe = _Probe()

    def reply(value: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(value) + "\n")
        sys.stdout.flush()

    async def sweep() -> dict[str, Any]:
        await asyncio.sleep(0.05)
        probe.take()
        began = time.perf_counter()
        changes = await service.sweep()
        seconds = time.perf_counter() - began
        await asyncio.sleep(0.05)  # the probe wakes after the stall, and notes it
        return {"changes": changes, "seconds": seconds, **probe.take()}

    async def command(line: list[str]) -> dict[str, Any]:
        if line[0] == "lag":
            return probe.take()
        if line[0] == "sweep":
            return await sweep()
        if line[0] == "advance":
            ahead[0] += float(line[1])
            return {"ahead_s": ahead[0]}
        raise ValueError(line)

    class Server(JobdeskServer):
        async def serve(self, sockets: Any = None) -> None:
            loop = asyncio.get_running_loop()
            tasks = [asyncio.create_task(probe.run())]

            def read() -> None:
                for text in sys.stdin:
                    line = text.split()
                    if line:
                        done = asyncio.run_coroutine_threadsafe(command(line), loop)
                        reply(done.result())

            async def started() -> None:
                while not self.started:  # noqa: ASYNC110 - uvicorn sets a plain attribute
                    await asyncio.sleep(0.001)
                marks["serving"] = time.monotonic()
                reply(marks)
                threading.Thread(target=read, daemon=True).start()

            tasks.append(asyncio.create_task(started()))
            try:
                await super().serve(sockets)
            finally:
                for task in tasks:
                    task.cancel()

    Server(uvicorn_config(app, config), service).run(sockets=[sock])


class Child:
    """The server process; its stdout answers commands."""

    def __init__(self, db_path: Path, token: str, config: dict[str, float], bytecode: Path) -> None:
        """``bytecode``: where compiled modules are cached (``PYTHONPYCACHEPREFIX``), as
        an installed server has them, even where the environment says not to write
        them; a first start fills it."""
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.began = time.monotonic()
        self.log = db_path.with_suffix(".log")
        with self.log.open("w") as log:
            self.process = spawn(
                [sys.executable, "-c", "import sys; from bench.scale import serve_child; "
                 "serve_child(sys.argv[1:])", str(db_path), str(self.port), json.dumps(config)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env={
                    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
                    "PYTHONPATH": str(ROOT),
                    "PYTHONPYCACHEPREFIX": str(bytecode),
                },
                cwd=ROOT,
            )  # fmt: skip
        self.http = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=120
        )
        self.startup_s = self._wait_answering()
        self.marks = {k: v - self.began for k, v in self._answer().items()}
        self.startup_stall_ms = self.ask("lag")["worst_ms"]
        """The probe's worst from before uvicorn's start-up to the first answer."""

    def _wait_answering(self, timeout: float = 120) -> float:
        deadline = self.began + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self.process.returncode}: "
                    f"{self.log.read_text()[-3000:]}"
                )
            with contextlib.suppress(httpx.TransportError):
                if self.http.get("/api/jobs", params={"limit": 1}).status_code == 200:
                    return time.monotonic() - self.began
            time.sleep(0.01)
        raise TimeoutError("the server did not answer in time")

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the server exited with {self.process.wait()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._answer()

    def rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise LookupError("VmRSS")

    def snapshot(self) -> tuple[float, int]:
        """A fresh client's whole list, page by page: (seconds, jobs)."""
        began = time.monotonic()
        jobs = 0
        with httpx.Client(base_url=self.url, headers=self.http.headers, timeout=120) as fresh:
            params: dict[str, Any] = {"limit": 500}
            while True:
                page = fresh.get("/api/jobs", params=params)
                page.raise_for_status()
                body = msgspec.json.decode(page.content)
                jobs += len(body["jobs"])
                if not body.get("nextCursor"):
                    break
                params = {"limit": 500, "cursor": body["nextCursor"]}
        return time.monotonic() - began, jobs

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


# --- measuring -------------------------------------------------------------------------


@dataclass
class Measured:
    plan: Plan
    build_s: float
    db_mb: float
    startup_s: float
    load_s: float
    rss_mb: float
    snapshot_s: float = float("nan")
    snapshot_jobs: int = 0
    rss_after_mb: float = float("nan")
    idle_stall_ms: float = float("nan")
    snapshot_stall_ms: float = float("nan")
    sweep_ms: list[float] = field(default_factory=list)
    sweep_stall_ms: list[float] = field(default_factory=list)
    stale_changes: int = 0
    stale_sweep_ms: float = float("nan")
    stale_stall_ms: float = float("nan")


def measure(folder: Path, name: str, plan: Plan, *, full: bool) -> Measured:
    path = folder / f"{name}.db"
    began = time.monotonic()
    tokens = build_database(path, plan)
    build_s = time.monotonic() - began
    db_mb = sum(p.stat().st_size for p in folder.glob(f"{name}.db*")) / 1024 / 1024
    child = Child(path, tokens["viewer"], CHILD_CONFIG, folder / "bytecode")
    try:
        m = Measured(
            plan,
            build_s,
            db_mb,
            child.startup_s,
            child.marks["loaded"] - child.marks["imported"],
            child.rss_mb(),
        )
        time.sleep(IDLE_S)
        m.idle_stall_ms = child.ask("lag")["worst_ms"]
        m.snapshot_s, m.snapshot_jobs = child.snapshot()
        m.snapshot_stall_ms = child.ask("lag")["worst_ms"]
        m.rss_after_mb = child.rss_mb()
        if full:
            for _ in range(3):
                swept = child.ask("sweep")
                m.sweep_ms.append(swept["seconds"] * 1000)
                m.sweep_stall_ms.append(swept["worst_ms"])
            child.ask(f"advance {STALE_JUMP_S}")
            swept = child.ask("sweep")
            m.stale_changes = swept["changes"]
            m.stale_sweep_ms = swept["seconds"] * 1000
            m.stale_stall_ms = swept["worst_ms"]
    finally:
        child.stop()
        for leftover in folder.glob(f"{name}.db*"):
            leftover.unlink()
    return m


def first_start(folder: Path) -> float:
    """Start a server on an empty database once, filling the bytecode cache; returns its
    start-up time (every module compiled from source)."""
    path = folder / "empty.db"
    tokens = build_queue(path, 0)
    child = Child(path, tokens["viewer"], CHILD_CONFIG, folder / "bytecode")
    child.stop()
    for leftover in folder.glob("empty.db*"):
        leftover.unlink()
    return child.startup_s


@dataclass
class Claims:
    queued: int
    median_ms: float
    p90_ms: float
    claimed: int


def measure_claims(folder: Path, queued: int) -> Claims:
    path = folder / f"queue-{queued}.db"
    tokens = build_queue(path, queued)
    child = Child(path, tokens["viewer"], CHILD_CONFIG, folder / "bytecode")
    try:
        times = []
        claimed = 0
        body = {"jobTypes": ["file_processing", "document_analysis", "llm_agent", "generic"]}
        headers = {"Authorization": f"Bearer {tokens['worker']}"}
        with httpx.Client(base_url=child.url, headers=headers, timeout=60) as worker:
            for _ in range(20):  # warm the connection and the caches
                worker.post("/api/queue/claim", json=body).raise_for_status()
            for _ in range(CLAIMS):
                began = time.perf_counter()
                answer = worker.post("/api/queue/claim", json=body)
                times.append((time.perf_counter() - began) * 1000)
                answer.raise_for_status()
                claimed += answer.json()["job"] is not None
    finally:
        child.stop()
        for leftover in folder.glob(f"queue-{queued}.db*"):
            leftover.unlink()
    times.sort()
    return Claims(queued, median(times), times[int(0.9 * len(times))], claimed)


# --- the report ------------------------------------------------------------------------


def _n(value: int) -> str:
    return f"{value:,}"


def _ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


def report(
    sizes: Sequence[int], results: dict[int, Measured], bases: dict[int, Measured]
) -> list[str]:
    rows = []
    for size in sizes:
        r, b = results[size], bases[size]
        rows.append(
            [
                f"{_n(size)} ({_n(r.plan.live)} live)",
                f"{r.db_mb:,.0f} MB",
                f"{r.startup_s:.2f} s (load {r.load_s:.2f} s)",
                f"{b.startup_s:.2f} s",
                f"{r.rss_mb:,.0f} MB",
                f"{b.rss_mb:,.0f} MB",
                f"{r.rss_after_mb:,.0f} MB",
                f"{r.snapshot_s:.2f} s ({_n(r.snapshot_jobs)})",
                _ms(r.snapshot_stall_ms),
                _ms(r.idle_stall_ms),
                f"{_ms(max(r.sweep_ms))} / {_ms(max(r.sweep_stall_ms))}",
                f"{_n(r.stale_changes)}: {_ms(r.stale_sweep_ms)} / {_ms(r.stale_stall_ms)}",
            ]
        )
    headers = [
        "jobs in the database",
        "file",
        "start-up",
        "start-up, live set alone",
        "RSS",
        "RSS, live set alone",
        "RSS after a snapshot",
        "snapshot (jobs)",
        "stall during it",
        "stall, 6 s idle",
        "quiet sweep: time / stall",
        "stale sweep: changes, time / stall",
    ]
    return [table(headers, rows)]


def parse_size(text: str) -> int:
    text = text.strip().lower().replace(",", "").replace("_", "")
    factor = 1
    if text.endswith("k"):
        factor, text = 1_000, text[:-1]
    elif text.endswith("m"):
        factor, text = 1_000_000, text[:-1]
    value = int(float(text) * factor)
    if value < 10:
        raise argparse.ArgumentTypeError(f"a size of at least 10 jobs, got {text!r}")
    return value


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench scale",
        description="The server with 10k-1M jobs in its database (90%% finished).",
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: [parse_size(part) for part in text.split(",") if part],
        default=list(DEFAULT_SIZES),
        help="jobs in the database, e.g. 10k,100k,1M (the default)",
    )
    parser.add_argument("--quick", action="store_true", help="sizes 10k,100k only")
    parser.add_argument(
        "--no-claims", action="store_true", help="skip the claims with 300 and 100,000 queued"
    )
    args = parser.parse_args(list(argv))
    sizes: list[int] = list(QUICK_SIZES) if args.quick else sorted(set(args.sizes))
    print(f"# The server with {', '.join(_n(s) for s in sizes)} jobs in its database")
    print(machine())
    print(
        f"SQLite {sqlite3.sqlite_version}; each size {FINISHED_SHARE:.0%} finished "
        f"(the newest {RETENTION_COUNT:,} live), 10% active (60% queued, 35% running, "
        "5% retrying)"
    )
    started = time.monotonic()
    results: dict[int, Measured] = {}
    bases: dict[int, Measured] = {}
    claims: list[Claims] = []
    with tempfile.TemporaryDirectory(prefix="jobdesk-bench-scale-") as tmp:
        folder = Path(tmp)
        cold = first_start(folder)
        print(
            f"A first start compiling every module (not counted; later starts load them "
            f"compiled, as an installed server does): {cold:.2f} s",
            file=sys.stderr,
        )
        for size in sizes:
            plan = Plan.of_size(size)
            results[size] = measure(folder, f"size-{size}", plan, full=True)
            bases[size] = measure(
                folder, f"live-{size}", Plan(plan.active, plan.finished_live, 0), full=False
            )
            r = results[size]
            print(
                f"  {size:,}: built in {r.build_s:.0f} s, start-up {r.startup_s:.2f} s, "
                f"RSS {r.rss_mb:.0f} MB (live set alone {bases[size].rss_mb:.0f} MB); "
                f"{time.monotonic() - started:.0f} s so far",
                file=sys.stderr,
                flush=True,
            )
        if not args.no_claims:
            claims = [measure_claims(folder, queued) for queued in CLAIM_QUEUES]
    print()
    for line in report(sizes, results, bases):
        print(line)
    if claims:
        print()
        print(
            table(
                ["jobs queued", "claim, median", "claim, p90", "claimed"],
                [[_n(c.queued), _ms(c.median_ms), _ms(c.p90_ms), _n(c.claimed)] for c in claims],
            )
        )
    print()
    met = goals(sizes, results, bases, claims)
    print(f"\n{time.monotonic() - started:.0f} s")
    return 0 if met else 1


def goals(
    sizes: Sequence[int],
    results: dict[int, Measured],
    bases: dict[int, Measured],
    claims: Sequence[Claims],
) -> bool:
    """Prints each goal, met or not; True when all are."""
    largest, smallest = results[sizes[-1]], results[sizes[0]]
    verdicts = []
    ratio = largest.rss_mb / bases[sizes[-1]].rss_mb
    verdicts.append(
        (
            ratio <= GOAL_RSS_RATIO,
            f"RSS with {_n(sizes[-1])} jobs within {GOAL_RSS_RATIO}x of its live set alone: "
            f"{ratio:.2f}x ({largest.rss_mb:,.0f} / {bases[sizes[-1]].rss_mb:,.0f} MB; "
            f"{largest.rss_mb / smallest.rss_mb:.1f}x the {_n(sizes[0])} jobs' "
            f"{smallest.rss_mb:,.0f} MB, whose live set is {_n(smallest.plan.live)})",
        )
    )
    slowest = max(results.values(), key=lambda r: r.startup_s)
    verdicts.append(
        (
            slowest.startup_s <= GOAL_STARTUP_S,
            f"start-up <= {GOAL_STARTUP_S:g} s: longest {slowest.startup_s:.2f} s "
            f"({_n(slowest.plan.total)} jobs)",
        )
    )
    picks: tuple[tuple[str, Callable[[Measured], float]], ...] = (
        ("quiet sweep", lambda r: max(r.sweep_stall_ms)),
        ("stale sweep", lambda r: r.stale_stall_ms),
        ("snapshot", lambda r: r.snapshot_stall_ms),
        ("idle", lambda r: r.idle_stall_ms),
    )
    for label, pick in picks:
        worst = max(sizes, key=lambda s: pick(results[s]))
        stall = pick(results[worst])
        verdicts.append(
            (
                stall <= GOAL_STALL_MS,
                f"no loop stall over {GOAL_STALL_MS:g} ms ({label}): longest {_ms(stall)} "
                f"({_n(worst)} jobs)",
            )
        )
    if claims:
        ratio = claims[-1].median_ms / claims[0].median_ms
        verdicts.append(
            (
                ratio <= GOAL_CLAIM_RATIO,
                f"claim cost flat (<= {GOAL_CLAIM_RATIO}x) from {_n(claims[0].queued)} to "
                f"{_n(claims[-1].queued)} queued: {ratio:.2f}x",
            )
        )
    for met, text in verdicts:
        print(f"- {'met' if met else 'NOT met'}: {text}")
    return all(met for met, _ in verdicts)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
