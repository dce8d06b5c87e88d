"""``jobdesk serve``'s options for the server's limits, one table for all of them.

Each option names the ServerConfig field it sets, and its default is read from there,
so the help text, the server and docs/server.md's "Limits and defences" table cannot
drift apart (tests/cli/test_serve_limits.py checks the doc names every option).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobdesk.cli import options
from jobdesk.protocol.connections import CLIENT_IDLE_EXPIRY_S
from jobdesk.server.config import ServerConfig

MIN_KEEP_ALIVE_S = 10
"""Clearly above the clients' idle expiry: jobdesk's 4 s, and httpx's default 5 s, which
uvicorn's default keep-alive (5 s) raced."""


def keep_alive(text: str) -> int:
    value = options.positive_int(text)
    if value < MIN_KEEP_ALIVE_S:
        raise argparse.ArgumentTypeError(
            f"must be at least {MIN_KEEP_ALIVE_S} s (clients reuse a connection idle for up "
            f"to {CLIENT_IDLE_EXPIRY_S:g} s), got {text!r}"
        )
    return value


def positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


@dataclass(frozen=True)
class Limit:
    option: str
    field: str
    kind: Callable[[str], Any]
    metavar: str
    help: str


LIMITS = (
    Limit("--auth-timeout", "auth_timeout_s", options.seconds, "SECONDS",
          "close a WebSocket without a valid auth after this long"),
    Limit("--ws-max-queued-bytes", "ws_max_queued_bytes", options.positive_int, "BYTES",
          "what may wait to be sent to one WebSocket, replies included; over it the "
          "socket is closed (1013) and the client resumes"),
    Limit("--ws-messages-per-s", "ws_messages_per_s", positive, "N",
          "messages a WebSocket client may send per second (after a burst of "
          "--ws-message-burst); over it the socket is closed (1008)"),
    Limit("--ws-message-burst", "ws_message_burst", options.positive_int, "N",
          "messages a WebSocket client may send at once"),
    Limit("--ws-stall-timeout", "ws_stall_timeout_s", options.seconds, "SECONDS",
          "drop a WebSocket that reads nothing this long while frames wait"),
    Limit("--ws-pings-per-s", "ws_pings_per_s", positive, "N",
          "PING control frames a client may send per second (after a burst of "
          "--ws-ping-burst); over it the socket is closed (1008)"),
    Limit("--ws-ping-burst", "ws_ping_burst", options.positive_int, "N",
          "PING control frames a client may send at once"),
    Limit("--keep-alive", "keep_alive_s", keep_alive, "SECONDS",
          f"close an idle HTTP connection after this long (at least {MIN_KEEP_ALIVE_S}, "
          "above the clients' idle expiry, or a request sent as it closes is lost)"),
    Limit("--backlog", "backlog", options.positive_int, "N",
          "connections the kernel queues until they are accepted"),
    Limit("--max-db-size", "max_db_bytes", options.megabytes, "MB",
          "let the database file grow to this many megabytes at most: beyond, writes "
          "answer 503 STORAGE_FULL as on a full disk"),
    Limit("--storage-retry-after", "storage_retry_after_s", options.positive_int, "SECONDS",
          "the Retry-After of a 503 for a full disk or a busy database"),
    Limit("--max-body-size", "max_body_bytes", options.megabytes, "MB",
          "the largest request body; a bigger one answers 413 before it is decoded"),
    Limit("--idempotency-window", "idempotency_window_s", options.seconds, "SECONDS",
          "how long the answer to a write with an Idempotency-Key is kept for its retries"),
    Limit("--retention-count", "retention_count", options.positive_int, "N",
          "finished jobs kept in the live set, newest first; older ones move to the history"),
    Limit("--retention-age", "retention_age_s", options.seconds, "SECONDS",
          "finished jobs older than this move from the live set to the history"),
    Limit("--history-age", "history_age_s", options.seconds, "SECONDS",
          "how long the history keeps a finished job before the sweeper deletes it"),
    Limit("--max-active-jobs", "max_active_jobs", options.positive_int, "N",
          "queued, running and retrying jobs at most; creating one more answers 429"),
)  # fmt: skip


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("limits (see docs/server.md, Limits and defences)")
    defaults = ServerConfig()
    for limit in LIMITS:
        default = getattr(defaults, limit.field)
        shown = f"{default:g}" if isinstance(default, float) else str(default)
        if default is None:
            shown = "no limit"
        elif limit.option.endswith("-size"):  # given in megabytes
            shown = f"{default / 1024 / 1024:g}"
        group.add_argument(
            limit.option,
            dest=limit.field,
            type=limit.kind,
            default=default,
            metavar=limit.metavar,
            help=f"{limit.help} (default: {shown})",
        )


def limits_from(args: argparse.Namespace) -> dict[str, Any]:
    """The ServerConfig fields the limit options set."""
    return {limit.field: getattr(args, limit.field) for limit in LIMITS}
