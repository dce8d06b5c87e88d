"""End-to-end latency: a worker's progress call, through the server and the WebSocket,
into each of 50 monitors' stores, at 1,000 updates/s.

Every process is separate (see ``fleet``): the server; one worker process
(``AsyncJobdeskClient``, 500 running jobs, each reporting twice a second, round robin:
1,000 progress calls/s); 50 monitors (the client's ``Engine`` into a ``JobStore`` each)
in two processes. Each progress call carries ``time.time_ns()`` taken just before it in
its status line; each monitor's store listener takes the difference when it applies the
job state. Percentiles are over every state applied by every monitor in the measured
window.

- **ours**: the monitors ask for ``job_updates``: the hub sends each monitor what piled
  up while its last send was in flight as one frame, at once when idle.
- **baseline, one frame per change**: the same run with monitors that do not ask for
  them, as before ``job_updates`` existed (and as a seed 003 client): the hub sends one
  frame per change per monitor, 50,000 frames/s.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.fleet import (
    CpuWatch,
    Server,
    ask_all,
    monitors,
    percentile,
    producers,
    wait_until_consistent,
)
from bench.procs import machine, median

RATE = 1_000
"""Progress calls per second, all jobs together."""
JOBS = 500
MONITORS = 50
MONITOR_PROCESSES = 2
WARMUP_S = 3.0
MEASURE_S = 10.0
TICK_S = 0.001
"""How often the worker's pacer wakes to make the calls that are due."""


@dataclass
class Result:
    label: str
    calls: int
    seconds: float
    ages_ms: list[float]
    states: list[int]
    applies: list[int]
    reconnects: int
    settle_s: float
    cores: dict[str, float]


def run_case(label: str, folder: Path, *, batch: bool) -> Result:
    server = Server(folder)
    children = []
    try:
        worker = producers(server.url, server.worker_token, JOBS)
        children.append(worker)
        worker.answer(timeout=120)
        crowd = [
            monitors(server.url, server.viewer_token, MONITORS // MONITOR_PROCESSES, batch=batch)
            for _ in range(MONITOR_PROCESSES)
        ]
        children += crowd
        ask_all(crowd, f"wait_ready {JOBS}", timeout=120)
        worker.ask(f"go {RATE} 1 {TICK_S}")
        time.sleep(WARMUP_S)
        ask_all(crowd, "record")
        started = time.monotonic()
        pids = {"server": server.pid(), "worker": worker.process.pid}
        pids |= {f"monitors{i}": child.process.pid for i, child in enumerate(crowd)}
        cpu = CpuWatch(pids)
        time.sleep(MEASURE_S)
        used = cpu.cores()
        seen = ask_all(crowd, "stop_record", timeout=120)
        seconds = time.monotonic() - started
        done = worker.ask("stop", timeout=120)
        _, settle_s = wait_until_consistent(server, crowd, within=60)
    finally:
        for child in children:
            child.close()
        server.kill()
    return Result(
        label=label,
        calls=int(done["calls"]),
        seconds=seconds,
        ages_ms=[age / 1e6 for answer in seen for age in answer["ages"]],
        states=[n for answer in seen for n in answer["states"]],
        applies=[n for answer in seen for n in answer["applies"]],
        reconnects=sum(int(answer["reconnects"]) for answer in seen),
        settle_s=settle_s,
        cores=used,
    )


def print_table(results: list[Result]) -> None:
    print(
        "| case | p50 | p99 | max | states applied per monitor/s | frames per monitor/s "
        "| reconnects | consistent after | cores: server, worker, monitors, others |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        per_monitor = median(r.states) / r.seconds
        frames = median(r.applies) / r.seconds
        c = r.cores
        monitors_used = sum(v for k, v in c.items() if k.startswith("monitors"))
        print(
            f"| {r.label} | {median(r.ages_ms):.1f} ms | {percentile(r.ages_ms, 0.99):.1f} ms "
            f"| {max(r.ages_ms, default=float('nan')):.0f} ms | {per_monitor:,.0f} "
            f"| {frames:,.0f} | {r.reconnects} | {r.settle_s:.1f} s "
            f"| {c['server']:.2f}, {c['worker']:.2f}, {monitors_used:.2f}, {c['others']:.2f} |"
        )


def main() -> int:
    print(f"# End-to-end latency at {RATE:,} progress calls/s, {MONITORS} monitors, {JOBS} jobs")
    print(machine())
    results = []
    with tempfile.TemporaryDirectory(prefix="jobdesk-bench-") as tmp:
        for label, batch, name in (
            ("ours (job_updates)", True, "ours"),
            ("baseline: one frame per change", False, "single"),
        ):
            result = run_case(label, Path(tmp) / name, batch=batch)
            results.append(result)
            print(
                f"  {label}: {result.calls / (MEASURE_S + WARMUP_S):,.0f} calls/s, "
                f"{len(result.ages_ms):,} states timed",
                file=sys.stderr,
            )
    print()
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
