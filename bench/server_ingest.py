"""Server ingest: progress updates persisted to SQLite per second, through the SDK, while
50 monitors follow every job.

Every process is separate (see ``fleet``): the server; two worker processes
(``AsyncJobdeskClient``) with 1,000 running jobs each, every job reporting progress 20
times a second (``flush_interval=0.05``: a job sends at most that often), so up to
40,000 updates/s are offered; 50 monitors (the client's ``Engine`` into a ``JobStore``
each) in two processes. Updates/s counts the server's seq over the measured window:
every persisted change is one seq.

The monitor processes run at nice 10. They stand in for 50 desktops, which in real life
bring CPUs of their own; here they share two cores with the server, and a monitor that
falls behind is sent what piled up, newest state per job, so it is never idle while it
is behind: at the server's priority they took 1.2 cores and left the server half of
one (see docs/benchmarks.md for that figure too).

After the window the workers flush and answer with each job's last reported value, the
one the server acknowledged last. Then every monitor's store must equal the server's
state (same seq, every job at the same version), the server is killed with kill -9, and
the database file must hold each job at its last acknowledged progress, the same seq,
and every event since the kept history floor.

- **ours**: the SDK's shared sender puts what all of a worker's jobs have due into one
  ``POST /api/admin/jobs/batch``; the server commits concurrent requests together
  (group commit, up to ``batch_max`` per transaction).
- **baseline**: one request per update (the SDK with ``batch=False``: each job's reporter
  sends its own) and one transaction per update (``batch_max=1``).
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.fleet import (
    CpuWatch,
    Durability,
    Server,
    ask_all,
    check_database,
    monitors,
    producers,
    wait_until_consistent,
)
from bench.procs import machine, median

WORKER_PROCESSES = 2
JOBS_PER_WORKER = 1_000
REPORTS_PER_JOB_S = 20
FLUSH_INTERVAL_S = 0.05
MONITORS = 50
MONITOR_PROCESSES = 2
MONITOR_NICE = 10
WARMUP_S = 3.0
MEASURE_S = 10.0
TICK_S = 0.005


@dataclass
class Result:
    label: str
    persisted: int
    seconds: float
    calls: int
    states: list[int]
    applies: list[int]
    reconnects: int
    settle_s: float
    flush_s: float
    durability: Durability
    cores: dict[str, float]


def run_case(label: str, folder: Path, *, batch: bool, config: dict[str, Any]) -> Result:
    server = Server(folder, config)
    children = []
    try:
        workers = [
            producers(
                server.url,
                server.worker_token,
                JOBS_PER_WORKER,
                batch=batch,
                interval=FLUSH_INTERVAL_S,
            )
            for _ in range(WORKER_PROCESSES)
        ]
        children += workers
        for worker in workers:
            worker.answer(timeout=120)
        crowd = [
            monitors(
                server.url, server.viewer_token, MONITORS // MONITOR_PROCESSES, nice=MONITOR_NICE
            )
            for _ in range(MONITOR_PROCESSES)
        ]
        children += crowd
        ask_all(crowd, f"wait_ready {JOBS_PER_WORKER * WORKER_PROCESSES}", timeout=120)
        rate = JOBS_PER_WORKER * REPORTS_PER_JOB_S
        ask_all(workers, f"go {rate} 0 {TICK_S}")
        time.sleep(WARMUP_S)
        ask_all(crowd, "record")
        first = server.snapshot().seq
        started = time.monotonic()
        pids = {"server": server.pid()}
        pids |= {f"workers{i}": child.process.pid for i, child in enumerate(workers)}
        pids |= {f"monitors{i}": child.process.pid for i, child in enumerate(crowd)}
        cpu = CpuWatch(pids)
        time.sleep(MEASURE_S)
        last = server.snapshot().seq
        seconds = time.monotonic() - started
        used = cpu.cores()
        seen = ask_all(crowd, "stop_record", timeout=120)
        done = ask_all(workers, "stop", timeout=180)
        snapshot, settle_s = wait_until_consistent(server, crowd, within=60)
        acknowledged = {k: v for answer in done for k, v in answer["last"].items()}
    finally:
        for child in children:
            child.close()
        server.kill()
    durability = check_database(server.db_path, acknowledged, snapshot.seq)
    return Result(
        label=label,
        persisted=last - first,
        seconds=seconds,
        calls=sum(int(answer["calls"]) for answer in done),
        states=[n for answer in seen for n in answer["states"]],
        applies=[n for answer in seen for n in answer["applies"]],
        reconnects=sum(int(answer["reconnects"]) for answer in seen),
        settle_s=settle_s,
        flush_s=max(float(answer["flush_s"]) for answer in done),
        durability=durability,
        cores=used,
    )


def print_table(results: list[Result]) -> None:
    print(
        "| case | updates/s persisted | states applied per monitor/s | frames per monitor/s "
        "| reconnects | consistent after | durable after kill -9 "
        "| cores: server, workers, monitors, others |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---|")
    for r in results:
        d = r.durability
        durable = (
            f"yes ({d.jobs:,} jobs, seq {d.seq:,})"
            if not d.wrong
            else f"NO: {'; '.join(d.wrong[:3])}"
        )
        c = r.cores
        workers_used = sum(v for k, v in c.items() if k.startswith("workers"))
        monitors_used = sum(v for k, v in c.items() if k.startswith("monitors"))
        print(
            f"| {r.label} | {r.persisted / r.seconds:,.0f} "
            f"| {median(r.states) / r.seconds:,.0f} | {median(r.applies) / r.seconds:,.1f} "
            f"| {r.reconnects} | {r.settle_s:.1f} s | {durable} "
            f"| {c['server']:.2f}, {workers_used:.2f}, {monitors_used:.2f}, {c['others']:.2f} |"
        )


def main() -> int:
    jobs = JOBS_PER_WORKER * WORKER_PROCESSES
    print(
        f"# Server ingest: {jobs:,} jobs reporting {REPORTS_PER_JOB_S}/s each "
        f"({jobs * REPORTS_PER_JOB_S:,} updates/s offered), {MONITORS} monitors"
    )
    print(machine())
    results = []
    with tempfile.TemporaryDirectory(prefix="jobdesk-bench-") as tmp:
        for label, batch, config, name in (
            ("ours: batches, group commit", True, {}, "ours"),
            ("baseline: a request and a transaction per update", False, {"batch_max": 1}, "base"),
        ):
            result = run_case(label, Path(tmp) / name, batch=batch, config=config)
            results.append(result)
            print(
                f"  {label}: {result.persisted / result.seconds:,.0f} updates/s, "
                f"{result.calls / (WARMUP_S + MEASURE_S):,.0f} calls/s, "
                f"flush {result.flush_s:.1f} s",
                file=sys.stderr,
            )
    print()
    print_table(results)
    return 0 if all(not r.durability.wrong for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
