"""``python -m bench NAME [OPTIONS]``: run one benchmark; ``all`` runs every one in turn;
with no name, list them. A benchmark whose ``main`` takes an argument list has options
of its own (``python -m bench scale --help``).

Each benchmark prints its own table, its figure beside a baseline measured in the same
run. ``all`` starts each in a fresh process, so one's Qt application, caches and memory
cannot colour the next one's figures.
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
import time

BENCHES = {
    "gui": ("bench.gui_ingest", "The job table: updates/s and event-loop stalls at 100,000 jobs"),
    "ingest": ("bench.server_ingest", "Server ingest: updates/s persisted and fanned out"),
    "latency": ("bench.e2e_latency", "End to end: SDK call to monitor store, p50/p99"),
    "memory": ("bench.monitor_memory", "Monitor RSS with 100,000 jobs over an empty window"),
    "startup": ("bench.startup", "Cold start to the first painted table, 10,000 jobs"),
    "recovery": ("bench.recovery", "Server restart and socket loss to a resynced store"),
    "keepalive": ("bench.keepalive", "Requests lost when an idle connection is closed as reused"),
    "floods": ("bench.ws_floods", "Other clients' latency while a WebSocket client floods"),
    "lists": ("bench.list_load", "Progress-write latency while four viewers loop over the lists"),
    "cluster": ("bench.cluster", "Replicas on PostgreSQL behind HAProxy: SDK call to 50 monitors"),
    "queue": ("bench.queue", "The queue's speed beside Celery on Redis: submit, drain, CPU/job"),
    "scale": (
        "bench.scale",
        "10k-1M jobs in the database: RSS, start-up, snapshot, stalls, claims",
    ),
}


def run_all() -> int:
    failed: list[str] = []
    for name, (_, what) in BENCHES.items():
        print(f"\n=== {name}: {what} ===", flush=True)
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "bench", name], check=False)
        print(f"=== {name}: {time.monotonic() - started:.0f} s ===", flush=True)
        if done.returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if argv == ["all"]:
        return run_all()
    if not argv or argv[0] not in BENCHES:
        print("usage: python -m bench NAME [OPTIONS]|all\n")
        for name, (_, what) in BENCHES.items():
            print(f"  {name:9} {what}")
        return 2
    module = importlib.import_module(BENCHES[argv[0]][0])
    options = argv[1:]
    if not inspect.signature(module.main).parameters:
        if options:
            print(f"{argv[0]} takes no options", file=sys.stderr)
            return 2
        result: int = module.main()
        return result
    result = module.main(options)
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
