"""Exactly once on three PostgreSQL replicas (a real PostgreSQL, real server processes),
with workers killed and the leading replica killed and started again mid-run.

Workers are spread over the replicas (worker i on replica i % 3); claims on different
replicas race for the same rows (``FOR UPDATE SKIP LOCKED``). When 900 jobs are
completed the replica holding the leader's lock is killed (kill -9): its workers' calls
fail until it is back at the same address, a replica left takes the sweeps, and every
job still ends by its rules, done exactly once. The scenario: tests/sdk/exactly_once.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sdk.exactly_once import (
    SERVER_CONFIG,
    TIMEOUT_S,
    WORKERS,
    Mishap,
    run_and_check,
    tokens_in,
)
from tests.server.cluster import Cluster

REPLICAS = 3


@pytest.mark.timeout(TIMEOUT_S)
def test_on_three_replicas_with_the_leader_killed_each_job_is_done_exactly_once(
    pg_url: str, tmp_path: Path
) -> None:
    operator, tokens = tokens_in(pg_url)
    cluster = Cluster(pg_url, tmp_path, REPLICAS, SERVER_CONFIG)
    killed: list[int] = []

    def kill_the_leader() -> int:
        victim = cluster.leader()
        victim = 0 if victim is None else victim
        cluster.kill(victim)
        killed.append(victim)
        cluster.start(victim)
        # each of its workers may have had a completion committed and its answer lost
        return sum(1 for i in range(WORKERS) if i % REPLICAS == victim)

    def a_running_replica() -> str:
        running = zip(cluster.urls, cluster.replicas, strict=True)
        return next(url for url, replica in running if replica is not None)

    try:
        run_and_check(
            cluster.urls,
            a_running_replica,
            operator,
            tokens,
            tmp_path,
            [Mishap(900, kill_the_leader)],
        )
    finally:
        cluster.stop()
    assert len(killed) == 1
