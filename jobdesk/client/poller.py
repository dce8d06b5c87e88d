"""The polling fallback: GET /api/jobs?since=SEQ every few seconds while the socket is down.

Its answers go through the same apply path as the stream's events, so the hand-over in
either direction loses nothing and applies nothing twice.
"""

from __future__ import annotations

from jobdesk.client.errors import ResyncRequired
from jobdesk.client.rest import RestApi
from jobdesk.core.store import JobStore


async def poll_once(rest: RestApi, store: JobStore, server: str, now: float) -> None:
    """One poll: what changed since the stored seq, or a full snapshot when needed."""
    view = store.server(server)
    if view.epoch is not None:
        try:
            delta = await rest.since(view.seq, view.epoch)
        except ResyncRequired:
            pass
        else:
            store.apply(
                server,
                epoch=delta.epoch,
                jobs=delta.jobs,
                removed=delta.removed,
                seq=delta.seq,
                now=now,
            )
            return
    snapshot = await rest.snapshot()
    store.apply(
        server, epoch=snapshot.epoch, jobs=snapshot.jobs, seq=snapshot.seq, replace=True, now=now
    )
