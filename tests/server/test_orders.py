"""The two orders lists are paged in, against the plain sort they stand for, through many
random changes: enough for the seq log to squeeze out its dead entries several times."""

from __future__ import annotations

import random

from jobdesk.server.orders import COMPACT_AFTER, IdOrder, SeqLog


def test_the_seq_log_walks_the_newest_change_of_each_job_and_each_removal() -> None:
    rng = random.Random(5)
    log = SeqLog([])
    newest: dict[str, int] = {}  # job id -> the seq of its last update
    removed: dict[str, int] = {}  # job id -> the seq of its removal
    floor = 0
    live = [f"job_{n:05d}" for n in range(300)]
    for seq in range(1, 40 * COMPACT_AFTER):
        job_id = rng.choice(live)  # a removed job's id never comes back
        if job_id in newest:
            log.kill(newest[job_id])
        if rng.random() < 0.05 and job_id in newest:
            del newest[job_id]
            removed[job_id] = seq
            live[live.index(job_id)] = f"job_{seq + 1000:05d}"
        else:
            newest[job_id] = seq
        log.append(seq, job_id)
        if seq % 9_000 == 0:
            floor = seq - 4_000
            log.prune(floor)
        if seq % 997 == 0:
            since = rng.randrange(floor, seq)
            wanted = sorted((s, j) for j, s in [*newest.items(), *removed.items()] if s > since)
            assert list(log.after(since)) == wanted
    assert len(log._ids) < 2 * (len(newest) + len(removed)) + 2 * COMPACT_AFTER


def test_the_id_order_is_the_sorted_ids_after_a_cursor() -> None:
    rng = random.Random(6)
    ids = {f"job_{rng.getrandbits(32):08x}" for _ in range(500)}
    order = IdOrder(ids)
    for _ in range(2_000):
        if rng.random() < 0.5 and ids:
            gone = rng.choice(sorted(ids))
            ids.discard(gone)
            order.discard(gone)
        else:
            new = f"job_{rng.getrandbits(32):08x}"
            if new not in ids:
                ids.add(new)
                order.add(new)
    order.discard("job_not_there")
    for cursor in [None, *rng.sample(sorted(ids), 20), "job_", "job_zzzz"]:
        assert list(order.after(cursor)) == sorted(i for i in ids if cursor is None or i > cursor)
