"""The queue's speed: jobdesk on SQLite and on PostgreSQL beside Celery on Redis and
procrastinate on PostgreSQL, in one run, each at its documented defaults, with no-op
jobs and two worker processes.

For each system and size: **submit** (jobs/s queued with no worker running; jobdesk's
bulk ``submit_jobs``, Celery's ``delay()`` and procrastinate's ``defer()`` a task),
**drain** (jobs/s from two workers on the full queue, from the first job done to the
last), **mixed** (jobs/s queued and done with the workers already running), **paced**
(25 jobs/s for 10 s: p50 and p99 from submit to done) and **CPU ms a job** during the
drain, by server, workers and broker (Redis; for PostgreSQL every postgres process on
the machine).

The peers run from environments of their own (``uv run --isolated --no-project --with
celery[redis]``, ``... --with procrastinate``; bench/peers/); Redis and PostgreSQL are
the machine's, at 127.0.0.1. A system whose service does not answer is skipped, and the
table says so.

``python -m bench queue [--jobs 5000,50000] [--only jobdesk-sqlite,celery,...]`` (about
half an hour with both sizes, most of it procrastinate's 50,000).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from bench.cluster import DEFAULT_POSTGRES, postgres_answers, postgres_pids, scratch_database
from bench.procs import HOST, ServerProc, machine, median, reap, spawn, table

JOB_TYPE = "noop"
WORKERS = 2
PACED_RATE = 25.0
PACED_COUNT = 250
CELERY_ENV = ["uv", "run", "--isolated", "--no-project", "--with", "celery[redis]"]
PROCRASTINATE_ENV = ["uv", "run", "--isolated", "--no-project", "--with", "procrastinate"]
PEERS = Path(__file__).parent / "peers"
TICK = os.sysconf("SC_CLK_TCK")


# --- CPU of a process tree ---------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def tree(pids: Sequence[int]) -> list[int]:
    """``pids`` and every process descended from them (a Celery worker's pool)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            parents[int(entry)] = int(fields[1])
    found = set(pids)
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                grew = True
    return sorted(found)


def cpu_seconds(pids: Sequence[int]) -> float:
    total = 0
    for pid in pids:
        if (fields := _stat(pid)) is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def redis_pids() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        with contextlib.suppress(OSError):
            if (
                entry.isdigit()
                and Path(f"/proc/{entry}/comm").read_text().strip() == "redis-server"
            ):
                found.append(int(entry))
    return found


# --- the systems --------------------------------------------------------------------------


class System(Protocol):
    name: str

    def submit(self, count: int) -> float: ...
    def start_workers(self) -> None: ...
    def stop_workers(self) -> None: ...
    def pending(self) -> int: ...
    def paced(self, rate: float, count: int) -> list[float]: ...
    def pids(self) -> dict[str, list[int]]: ...


class Jobdesk:
    """A jobdesk server in its own process, and two ``bench.queue_worker`` processes."""

    def __init__(self, name: str, folder: Path, db_url: str | None) -> None:
        from jobdesk.server.tokens import create_token

        self.name = name
        location: Path | str = db_url if db_url is not None else folder / "queue.db"
        self.token = create_token(location, "worker", "bench")
        config: dict[str, Any] = {"sweep_interval_s": 5.0}
        if db_url is not None:
            config["db_url"] = db_url
        self.server = ServerProc(folder / "queue.db", config=config)
        self.server.start()
        self._postgres = db_url is not None
        self._workers: list[subprocess.Popen[bytes]] = []
        self.http = httpx.Client(
            base_url=self.server.url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
        )

    def submit(self, count: int) -> float:
        from jobdesk.sdk import JobdeskClient, JobSpec

        with JobdeskClient(self.server.url, self.token) as client:
            began = time.perf_counter()
            client.submit_jobs(JobSpec(job_type=JOB_TYPE) for _ in range(count))
            return time.perf_counter() - began

    def start_workers(self) -> None:
        for n in range(WORKERS):
            argv = [sys.executable, "-m", "bench.queue_worker", self.server.url, self.token]
            self._workers.append(spawn([*argv, f"bench-{n}"]))

    def stop_workers(self) -> None:
        for worker in self._workers:
            worker.terminate()
            reap(worker)
        self._workers = []

    def pending(self) -> int:
        overview = self.http.get("/api/queue/overview").json()
        return sum(
            kind["queued"] + kind["running"]
            for kind in overview["jobTypes"]
            if kind["jobType"] == JOB_TYPE
        )

    def paced(self, rate: float, count: int) -> list[float]:
        from jobdesk.protocol import parse_timestamp
        from jobdesk.sdk import JobdeskClient

        sent: dict[str, float] = {}
        with JobdeskClient(self.server.url, self.token) as client:
            began = time.monotonic()
            for n in range(count):
                time.sleep(max(0.0, began + n / rate - time.monotonic()))
                at = time.time()
                sent[client.submit_job(JOB_TYPE)] = at
            wait_until(lambda: self.pending() == 0, within=120)
            latencies = []
            for job_id, at in sent.items():
                done = client.get_job(job_id).history[-1].ended_at
                assert done is not None
                latencies.append((parse_timestamp(done).timestamp() - at) * 1000)
        return latencies

    def pids(self) -> dict[str, list[int]]:
        assert self.server.process is not None
        found = {
            "server": [self.server.process.pid],
            "workers": tree([w.pid for w in self._workers]),
        }
        if self._postgres:
            found["broker"] = list(postgres_pids().values())
        return found

    def close(self) -> None:
        self.stop_workers()
        self.http.close()
        self.server.stop()


def run_peer(env: list[str], script: str, *argv: str, environ: dict[str, str] | None = None) -> Any:
    """Run a peer's script in its own environment; the JSON of its last line of output."""
    import json

    done = subprocess.run(
        [*env, "python", str(PEERS / script), *argv],
        capture_output=True,
        check=True,
        text=True,
        timeout=900,
        env=environ,
    )
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None


class CeleryOnRedis:
    """Celery's prefork worker (concurrency 2: two worker processes) on Redis."""

    name = "Celery, Redis broker"

    def __init__(self) -> None:
        self._worker: subprocess.Popen[bytes] | None = None
        self._peer("reset")

    def _peer(self, *argv: str) -> Any:
        return run_peer(CELERY_ENV, "celery_peer.py", *argv)

    def submit(self, count: int) -> float:
        return float(self._peer("submit", str(count)))

    def start_workers(self) -> None:
        argv = [*CELERY_ENV, "celery", "--workdir", str(PEERS), "-A", "celery_peer"]
        self._worker = spawn(
            [*argv, "worker", "--concurrency", str(WORKERS), "--loglevel", "WARNING"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop_workers(self) -> None:
        if self._worker is not None:
            self._worker.terminate()
            reap(self._worker, timeout=30)
            self._worker = None

    def pending(self) -> int:
        return int(self._peer("pending"))

    def paced(self, rate: float, count: int) -> list[float]:
        return [float(x) for x in self._peer("paced", str(rate), str(count))]

    def pids(self) -> dict[str, list[int]]:
        workers = tree([self._worker.pid]) if self._worker is not None else []
        return {"workers": workers, "broker": redis_pids()}

    def close(self) -> None:
        self.stop_workers()


class Procrastinate:
    """Two ``procrastinate worker`` processes (concurrency 1 each, the default) on a
    scratch PostgreSQL database; the broker's CPU is every postgres process's."""

    name = "procrastinate, PostgreSQL"

    def __init__(self, db_url: str) -> None:
        self._environ = {**os.environ, "BENCH_PROCRASTINATE_DSN": db_url, "PYTHONPATH": str(PEERS)}
        self._workers: list[subprocess.Popen[bytes]] = []
        self._peer("schema")

    def _peer(self, *argv: str) -> Any:
        return run_peer(PROCRASTINATE_ENV, "procrastinate_peer.py", *argv, environ=self._environ)

    def submit(self, count: int) -> float:
        return float(self._peer("submit", str(count)))

    def start_workers(self) -> None:
        argv = [*PROCRASTINATE_ENV, "procrastinate", "--app", "procrastinate_peer.app", "worker"]
        for _ in range(WORKERS):
            self._workers.append(
                spawn(
                    argv,
                    env=self._environ,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

    def stop_workers(self) -> None:
        for worker in self._workers:
            worker.terminate()
            reap(worker, timeout=30)
        self._workers = []

    def pending(self) -> int:
        return int(self._peer("pending"))

    def paced(self, rate: float, count: int) -> list[float]:
        return [float(x) for x in self._peer("paced", str(rate), str(count))]

    def pids(self) -> dict[str, list[int]]:
        workers = tree([w.pid for w in self._workers])
        return {"workers": workers, "broker": list(postgres_pids().values())}

    def close(self) -> None:
        self.stop_workers()


# --- the run ------------------------------------------------------------------------------


def wait_until(condition: Callable[[], bool], within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done within {within:.0f} s")
        time.sleep(0.05)


@dataclass
class Figures:
    system: str
    jobs: int
    submit_per_s: float = 0.0
    drain_per_s: float = 0.0
    mixed_per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    cpu_ms: dict[str, float] = field(default_factory=dict)
    skipped: str = ""


def measure(system: System, count: int) -> Figures:
    figures = Figures(system.name, count)
    figures.submit_per_s = count / system.submit(count)
    system.start_workers()
    # The drain is timed from the first job done: a worker's start-up (Celery's takes
    # seconds) is not the queue's speed. Its processes are read then (a pool forks late).
    wait_until(lambda: system.pending() < count, within=300)
    pids = system.pids()
    before = {part: cpu_seconds(p) for part, p in pids.items()}
    began = time.perf_counter()
    left = system.pending()
    wait_until(lambda: system.pending() == 0, within=3600)
    figures.drain_per_s = left / (time.perf_counter() - began)
    used = {part: cpu_seconds(p) - before[part] for part, p in pids.items()}
    figures.cpu_ms = {part: 1000 * seconds / left for part, seconds in used.items()}
    began = time.perf_counter()
    system.submit(count)
    wait_until(lambda: system.pending() == 0, within=3600)
    figures.mixed_per_s = count / (time.perf_counter() - began)
    latencies = sorted(system.paced(PACED_RATE, PACED_COUNT))
    figures.p50_ms = median(latencies)
    figures.p99_ms = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    system.stop_workers()
    return figures


def redis_answers() -> str | None:
    try:
        with socket.create_connection((HOST, 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return None if sock.recv(16).startswith(b"+PONG") else "Redis did not answer PING"
    except OSError as exc:
        return f"no Redis at {HOST}:6379 ({exc})"


@contextlib.contextmanager
def systems(folder: Path, postgres: str, only: set[str]) -> Iterator[list[tuple[str, Any]]]:
    """(key, system or the reason it is skipped), closed afterwards."""
    made: list[tuple[str, Any]] = []
    with contextlib.ExitStack() as stack:
        if "jobdesk-sqlite" in only:
            sqlite_folder = folder / "sqlite"
            sqlite_folder.mkdir()
            made.append(("jobdesk-sqlite", Jobdesk("jobdesk, SQLite", sqlite_folder, None)))
        if "jobdesk-postgres" in only:
            if (why := postgres_answers(postgres)) is not None:
                made.append(("jobdesk-postgres", f"PostgreSQL at {postgres}: {why}"))
            else:
                url = stack.enter_context(scratch_database(postgres))
                pg_folder = folder / "postgres"
                pg_folder.mkdir()
                made.append(("jobdesk-postgres", Jobdesk("jobdesk, PostgreSQL", pg_folder, url)))
        if "celery" in only:
            why = redis_answers()
            made.append(("celery", why if why is not None else CeleryOnRedis()))
        if "procrastinate" in only:
            if (why := postgres_answers(postgres)) is not None:
                made.append(("procrastinate", f"PostgreSQL at {postgres}: {why}"))
            else:
                url = stack.enter_context(scratch_database(postgres))
                made.append(("procrastinate", Procrastinate(url)))
        try:
            yield made
        finally:
            for _, system in made:
                if not isinstance(system, str):
                    system.close()


def report(results: list[Figures]) -> str:
    rows = []
    for r in results:
        if r.skipped:
            rows.append([r.system, f"{r.jobs:,}", "skipped", r.skipped, "", "", "", ""])
            continue
        cpu = ", ".join(f"{part} {ms:.2f}" for part, ms in r.cpu_ms.items())
        total = sum(r.cpu_ms.values())
        rows.append(
            [
                r.system,
                f"{r.jobs:,}",
                f"{r.submit_per_s:,.0f}",
                f"{r.drain_per_s:,.0f}",
                f"{r.mixed_per_s:,.0f}",
                f"{r.p50_ms:.0f} / {r.p99_ms:.0f} ms",
                f"{total:.2f}",
                cpu,
            ]
        )
    headers = [
        "system",
        "jobs",
        "submit/s",
        "drain/s",
        "mixed/s",
        f"paced {PACED_RATE:g}/s p50 / p99",
        "CPU ms/job",
        "of which",
    ]
    return table(headers, rows)


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench queue", description=__doc__)
    parser.add_argument("--jobs", default="5000,50000", help="sizes, comma-separated")
    parser.add_argument("--only", default="jobdesk-sqlite,jobdesk-postgres,celery,procrastinate")
    parser.add_argument(
        "--postgres", default=os.environ.get("JOBDESK_BENCH_POSTGRES", DEFAULT_POSTGRES)
    )
    args = parser.parse_args(list(argv))
    sizes = [int(size) for size in args.jobs.split(",")]
    print(machine(), flush=True)
    results: list[Figures] = []
    for count in sizes:
        with (
            tempfile.TemporaryDirectory(prefix="jobdesk-bench-queue-") as tmp,
            systems(Path(tmp), args.postgres, set(args.only.split(","))) as found,
        ):
            for _, system in found:
                if isinstance(system, str):
                    results.append(Figures("(skipped)", count, skipped=system))
                    continue
                print(f"{system.name}, {count:,} jobs ...", flush=True)
                results.append(measure(system, count))
    print(report(results))
    return 0
