"""``jobdesk serve``: run the job server in the foreground until Ctrl+C."""

from __future__ import annotations

import argparse
from pathlib import Path

from jobdesk.cli import options
from jobdesk.cli.errors import CliError
from jobdesk.cli.parser import Commands, Parser, command
from jobdesk.cli.paths import DB_HELP, Database, database, default_db_path
from jobdesk.cli.serve_limits import add_limit_options, limits_from

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
    parser.add_argument("--db", type=database, help=DB_HELP)
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
    add_limit_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from jobdesk.server.app import run_server
    from jobdesk.server.config import ServerConfig
    from jobdesk.server.db.lock import DatabaseInUse

    db_path: Database = args.db or default_db_path()
    config = ServerConfig(
        db_path=db_path if isinstance(db_path, Path) else default_db_path(),
        db_url=db_path if isinstance(db_path, str) else None,
        host=args.host,
        port=args.port,
        stale_after_s=args.stale_after,
        timeout_s=args.timeout,
        allowed_origins=frozenset(origin.rstrip("/") for origin in args.origin),
        **limits_from(args),
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
