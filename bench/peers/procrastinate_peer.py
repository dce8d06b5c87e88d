"""procrastinate on PostgreSQL at its documented defaults, for ``bench queue``.

The database is ``BENCH_PROCRASTINATE_DSN`` (a scratch database the bench made).
``python procrastinate_peer.py schema`` applies procrastinate's schema; ``submit N``
queues N no-op tasks with ``defer()`` and prints the seconds it took; ``paced RATE
COUNT`` queues COUNT at RATE a second, each carrying when it was submitted, and prints
their latencies (ms, from submit to the ``succeeded`` event) once all ran; ``pending``
prints the jobs not yet done. The workers are ``procrastinate --app
procrastinate_peer.app worker`` (concurrency 1 a process, the default).
"""

from __future__ import annotations

import json
import os
import sys
import time

import procrastinate
import psycopg

DSN = os.environ["BENCH_PROCRASTINATE_DSN"]
app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=DSN))


@app.task(name="bench.noop")
def noop(submitted_at: float | None = None) -> None:
    """Nothing: the queue's own cost is what is measured."""


def count(sql: str) -> int:
    with psycopg.connect(DSN) as conn:
        row = conn.execute(sql).fetchone()
        return int(row[0]) if row else 0


def pending() -> int:
    return count("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")


LATENCIES = """
SELECT (extract(epoch FROM e.at) - (j.args->>'submitted_at')::float8) * 1000
FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id
WHERE e.type = 'succeeded' AND j.args ? 'submitted_at'
"""


def main(argv: list[str]) -> int:
    command = argv[0]
    with app.open():
        if command == "schema":
            app.schema_manager.apply_schema()
        elif command == "submit":
            started = time.perf_counter()
            for _ in range(int(argv[1])):
                noop.defer()
            print(json.dumps(time.perf_counter() - started))
        elif command == "pending":
            print(json.dumps(pending()))
        elif command == "paced":
            rate, total = float(argv[1]), int(argv[2])
            began = time.monotonic()
            for n in range(total):
                time.sleep(max(0.0, began + n / rate - time.monotonic()))
                noop.defer(submitted_at=time.time())
            while pending():
                time.sleep(0.05)
            with psycopg.connect(DSN) as conn:
                print(json.dumps([float(row[0]) for row in conn.execute(LATENCIES)]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
