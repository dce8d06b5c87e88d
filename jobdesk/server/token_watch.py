"""Watching the tokens table, so a revoked token stops working within a second.

``jobdesk token revoke`` deletes the row from the database file, outside the server. The
server reads the set of valid hashes every ``interval_s`` (a small table, read in a
thread) and drops whatever is not in it: cached REST principals and open sockets.
"""

from __future__ import annotations

import asyncio
import logging

from jobdesk.server.sessions import Sessions
from jobdesk.server.token_store import TokenStore
from jobdesk.server.tokens import TokenVerifier

log = logging.getLogger(__name__)


async def watch_tokens(
    store: TokenStore, verifier: TokenVerifier, sessions: Sessions, interval_s: float
) -> None:
    failing = False
    while True:
        await asyncio.sleep(interval_s)
        try:
            valid = await asyncio.to_thread(store.hashes)
        except Exception as exc:  # a busy or full database: try again next time
            if not failing:
                log.warning("cannot read the tokens table (%s); revocations wait", exc)
            failing = True
            continue
        failing = False
        verifier.retain(valid)
        closed = sessions.retain(valid)
        if closed:
            log.info("closed %d WebSocket(s) of revoked tokens", closed)
