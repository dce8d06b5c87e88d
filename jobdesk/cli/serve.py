"""``jobdesk serve``: run the job server in the foreground until Ctrl+C."""

from __future__ import annotations

import argparse
from pathlib import Path

from jobdesk.cli import options
from jobdesk.cli.errors import CliError
from jobdesk.cli.parser import Commands, Parser, command
from jobdesk.cli.paths import DB_HELP, default_db_path
from jobdesk.protocol.connections import CLIENT_IDLE_EXPIRY_S, SERVER_KEEP_ALIVE_S

MIN_KEEP_ALIVE_S = 10
"""Clearly above the clients' idle expiry: jobdesk's 4 s, and httpx's default 5 s, which
uvicorn's default keep-alive (5 s) raced."""

DESCRIPTION = """\
Run the jobdesk server: the REST API workers report to, and the WebSocket the monitor
watches. Jobs are stored in one SQLite file. Stop it with Ctrl+C.

Create tokens first (the server accepts only bearer tokens it knows):
  jobdesk token create --role operator --name me
  jobdesk token create --role worker --name worker-1
"""


def register(commands: Commands[Parser]) -> None:
    parser = command(commands, "serve", "run the job server", DESCRIPTION)
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only; "
        "0.0.0.0 opens it to the network, so put TLS in front)",
    )
    parser.add_argument(
        "--port", type=options.port, default=8765, help="port (default: 8765; 0 picks a free one)"
    )
    parser.add_argument("--db", type=Path, help=DB_HELP)
    parser.add_argument(
        "--stale-after",
        type=options.seconds,
        default=600.0,
        metavar="SECONDS",
        help="mark a running job stale after this long without an update (default: 600)",
    )
    parser.add_argument(
        "--timeout",
        type=options.seconds,
        default=1800.0,
        metavar="SECONDS",
        help="fail a job still running after this long (default: 1800)",
    )
    parser.add_argument(
        "--origin",
        action="append",
        default=[],
        metavar="URL",
        help="a browser origin allowed to open the WebSocket, e.g. https://admin.example.com; "
        "repeat for several (native clients send no origin and need none)",
    )
    parser.add_argument(
        "--keep-alive",
        type=_keep_alive,
        default=SERVER_KEEP_ALIVE_S,
        metavar="SECONDS",
        help=f"close an idle HTTP connection after this long (default: {SERVER_KEEP_ALIVE_S}; "
        f"at least {MIN_KEEP_ALIVE_S}, above the clients' idle expiry, or a request sent "
        "as it closes is lost)",
    )
    parser.add_argument(
        "--backlog",
        type=options.positive_int,
        default=2048,
        metavar="N",
        help="connections the kernel queues until they are accepted (default: 2048)",
    )
    parser.add_argument(
        "--max-db-size",
        type=options.megabytes,
        metavar="MB",
        help="let the database file grow to this many megabytes at most: beyond, writes "
        "answer 503 STORAGE_FULL as on a full disk (default: no limit but the disk)",
    )
    parser.add_argument(
        "--storage-retry-after",
        type=options.positive_int,
        default=5,
        metavar="SECONDS",
        help="the Retry-After of a 503 for a full disk or a busy database (default: 5)",
    )
    parser.set_defaults(handler=run)


def _keep_alive(text: str) -> int:
    value = options.positive_int(text)
    if value < MIN_KEEP_ALIVE_S:
        raise argparse.ArgumentTypeError(
            f"must be at least {MIN_KEEP_ALIVE_S} s (clients reuse a connection idle for up "
            f"to {CLIENT_IDLE_EXPIRY_S:g} s), got {text!r}"
        )
    return value


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from jobdesk.server.app import run_server
    from jobdesk.server.config import ServerConfig
    from jobdesk.server.db.lock import DatabaseInUse

    db_path: Path = args.db or default_db_path()
    config = ServerConfig(
        db_path=db_path,
        host=args.host,
        port=args.port,
        stale_after_s=args.stale_after,
        timeout_s=args.timeout,
        allowed_origins=frozenset(origin.rstrip("/") for origin in args.origin),
        keep_alive_s=args.keep_alive,
        backlog=args.backlog,
        max_db_bytes=args.max_db_size,
        storage_retry_after_s=args.storage_retry_after,
    )
    try:
        run_server(config)
    except DatabaseInUse as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        if exc.filename:  # creating the database's directory, not binding the socket
            raise CliError(f"cannot open the database {db_path}: {exc}") from None
        raise CliError(f"cannot serve on {args.host}:{args.port}: {exc}") from None
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        raise CliError(f"cannot open the database {db_path}: {reason}") from None
    return 0
