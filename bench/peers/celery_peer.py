"""Celery on Redis at its documented defaults, for ``bench queue``.

``python celery_peer.py submit N`` queues N no-op tasks with ``delay()`` and prints the
seconds it took; ``paced RATE COUNT`` queues COUNT at RATE a second, each noting its
latency in Redis when it runs, and prints them (ms) once all ran; ``pending`` prints the
tasks not yet taken or acknowledged; ``reset`` empties the bench's keys. The workers are
``celery -A celery_peer worker`` (the prefork pool, as documented).
"""

from __future__ import annotations

import json
import sys
import time

from celery import Celery
from redis import Redis

BROKER = "redis://127.0.0.1:6379/7"
app = Celery("bench", broker=BROKER)
app.conf.worker_hijack_root_logger = False
redis = Redis.from_url(BROKER)
LATENCIES = "bench:latency"


@app.task(name="bench.noop")
def noop(submitted_at: float | None = None) -> None:
    if submitted_at is not None:
        redis.rpush(LATENCIES, (time.time() - submitted_at) * 1000)


def pending() -> int:
    """Tasks waiting in the queue or taken and not acknowledged (kombu's unacked hash)."""
    return int(redis.llen("celery")) + int(redis.hlen("unacked"))


def main(argv: list[str]) -> int:
    command = argv[0]
    if command == "reset":
        redis.flushdb()
    elif command == "submit":
        started = time.perf_counter()
        for _ in range(int(argv[1])):
            noop.delay()
        print(json.dumps(time.perf_counter() - started))
    elif command == "pending":
        print(json.dumps(pending()))
    elif command == "paced":
        rate, count = float(argv[1]), int(argv[2])
        began = time.monotonic()
        for n in range(count):
            time.sleep(max(0.0, began + n / rate - time.monotonic()))
            noop.delay(time.time())
        while redis.llen(LATENCIES) < count:
            time.sleep(0.05)
        print(json.dumps([float(x) for x in redis.lrange(LATENCIES, 0, -1)]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
