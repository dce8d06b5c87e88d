"""Server settings: one frozen value built by the command line or by an embedding program."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jobdesk.protocol.connections import SERVER_KEEP_ALIVE_S


@dataclass(frozen=True, kw_only=True)
class ServerConfig:
    db_path: Path = Path("jobdesk.db")
    db_url: str | None = None
    """A PostgreSQL database (``postgresql://USER@HOST:PORT/DB``) several replicas may
    share; None: the SQLite file ``db_path``, for one server."""
    host: str = "127.0.0.1"
    port: int = 8765
    stale_after_s: float = 10 * 60
    """No update for this long marks a running job stale (seed 001: 10 minutes)."""
    timeout_s: float = 30 * 60
    """Running longer than this fails the job (seed 001: 30 minutes)."""
    sweep_interval_s: float = 5.0
    """How often stale, timeout and retention rules are applied."""
    retention_count: int = 1000
    """Terminal jobs kept, newest first; older ones are removed."""
    retention_age_s: float = 7 * 24 * 3600
    """Terminal jobs older than this are removed."""
    max_active_jobs: int = 1_000_000
    """Creating a job beyond this many queued, running or retrying ones answers 429: a
    safety limit on the live set's memory (about 1 KB per job), sized for a farm."""
    history_age_s: float = 90 * 24 * 3600
    """Finished jobs retention moved out of the live set stay in the database's history
    this long (``GET /api/history``), then the sweeper deletes them."""
    feed_poll_s: float = 0.25
    """A replica reads the shared change feed this often besides each NOTIFY hint (the
    hints are lost while its LISTEN connection is down)."""
    resume_wait_s: float = 5.0
    """A resume ``since`` ahead of what this replica applied waits this long for it to
    catch up before answering 410."""
    history_events: int = 100_000
    """Events kept for replay (GET /api/jobs?since=, subscribe_jobs since); older ones 410."""
    max_messages_per_job: int = 500
    """Log entries kept per job, newest kept."""
    heartbeat_s: float = 30.0
    stats_interval_s: float = 0.25
    overview_interval_s: float = 5.0
    """How often the queue overview is sampled and sent to its WebSocket subscribers."""
    auth_timeout_s: float = 5.0
    """A WebSocket without a valid ``auth`` this long after opening is closed (1008)."""
    ws_max_queued_bytes: int = 4 * 1024 * 1024
    """What may wait to be sent to one WebSocket, replies included; over it: close 1013."""
    ws_messages_per_s: float = 20.0
    ws_message_burst: int = 100
    """Messages a WebSocket client may send: a burst, then a rate; over it: close 1008."""
    ws_stall_timeout_s: float = 30.0
    """A WebSocket that reads nothing this long while frames wait is dropped."""
    ws_pings_per_s: float = 10.0
    ws_ping_burst: int = 50
    """PING control frames a client may send: a burst, then a rate; over it: close 1008."""
    token_check_interval_s: float = 0.5
    """How often the tokens table is read, so a revoked token stops working."""
    max_body_bytes: int = 1024 * 1024
    allowed_origins: frozenset[str] = field(default_factory=frozenset)
    """Origins allowed to open the WebSocket from a browser; native clients send none."""
    idempotency_window_s: float = 5 * 60
    """How long an ``Idempotency-Key``'s answer is kept: a retry within it does not act
    twice. Longer than any client retries a write (the SDK: 30 s)."""
    max_claim_wait_s: float = 60.0
    """The longest a claim waits for work (its ``waitSeconds`` is cut to this)."""
    retry_base_s: float = 1.0
    """A failed attempt's first backoff; it doubles with each attempt (seed 000: 1 s, x2)."""
    retry_max_s: float = 300.0
    """The longest backoff between attempts."""
    batch_max: int = 512
    """Most commands grouped into one write transaction."""
    keep_alive_s: int = SERVER_KEEP_ALIVE_S
    """An idle HTTP connection is closed after this long; keep it above the clients' idle
    expiry (httpx: 5 s), or a request sent as it closes gets no answer."""
    backlog: int = 2048
    """Connections the kernel queues before the server accepts them (capped by
    net.core.somaxconn); beyond, a new connection waits or is refused."""
    storage_retry_after_s: int = 5
    """``Retry-After`` of a 503 for a full disk or a busy database (STORAGE_FULL,
    STORAGE_UNAVAILABLE)."""
    max_db_bytes: int | None = None
    """The database file grows no larger: writes beyond answer 503 STORAGE_FULL, as on a
    full disk, until space is freed in it (None: as large as the disk allows)."""
