"""The id order snapshots are paged in, against the plain sort it stands for, through many
random changes (the seq order is the feed's: tests/server/test_feed.py)."""

from __future__ import annotations

import random

from jobdesk.server.orders import IdOrder


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
