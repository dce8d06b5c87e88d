"""``jobdesk demo``: a server, simulated workers and the live view, in one command.

Everything runs in this process on a throw-away SQLite file, so a first look at jobdesk
needs no setup. The database is kept afterwards (its path is printed), so the jobs can
be looked at again with ``jobdesk serve --db PATH``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jobdesk.cli import options
from jobdesk.cli.errors import CliError
from jobdesk.cli.invocation import jobdesk_command
from jobdesk.cli.monitor import has_display
from jobdesk.cli.parser import Commands, Parser, command

DEMO_STALE_AFTER = 8.0
"""Much shorter than a real server's 10 minutes, so a stalled job shows up stale soon."""
DEMO_SERVER = "demo"
"""The name the live view's store keys the demo server's jobs by."""
DEMO_TIMEOUT = 90.0
"""Long enough for every simulated job, short enough to watch a stalled one time out."""

DESCRIPTION = """\
Start a jobdesk server on a temporary database, with simulated workers processing
files, analysing documents, running LLM agents and sending e-mails (some warn, some
fail, some stall), and watch it live in the desktop monitor (or, with --terminal or
without a display, in the terminal) until you quit. The server's URL and an operator
token are printed, so 'jobdesk watch' in another terminal can join.
"""


def register(commands: Commands[Parser]) -> None:
    parser = command(
        commands, "demo", "run a server with simulated workers, and watch", DESCRIPTION
    )
    parser.add_argument(
        "--duration",
        type=options.seconds,
        metavar="SECONDS",
        help="stop by itself after this long (default: run until Ctrl+C)",
    )
    parser.add_argument(
        "--db", type=Path, help="the database to use (default: a new temporary file)"
    )
    parser.add_argument("--port", type=options.port, default=0, help="(default: a free port)")
    parser.add_argument("--seed", type=int, help="random seed, to replay the same demo")
    parser.add_argument(
        "--pace",
        type=options.seconds,
        default=1.0,
        help="multiply every simulated pause (default: 1; 0.2 is five times faster)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON lines, not the monitor")
    parser.add_argument(
        "--terminal", action="store_true", help="watch in the terminal, not the desktop monitor"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import tempfile

    from jobdesk.cli.demo_workers import WORKER_NAMES, DemoFleet
    from jobdesk.cli.logs import quiet
    from jobdesk.cli.watch import watch
    from jobdesk.server.config import ServerConfig
    from jobdesk.server.embedded import EmbeddedServer
    from jobdesk.server.tokens import create_token

    db_path: Path = args.db or Path(tempfile.mkdtemp(prefix="jobdesk-demo-")) / "jobdesk.db"
    config = ServerConfig(
        db_path=db_path,
        port=args.port,
        stale_after_s=DEMO_STALE_AFTER,
        timeout_s=DEMO_TIMEOUT,
        sweep_interval_s=1.0,
    )
    operator = create_token(db_path, "operator", "demo-operator")
    workers = {key: create_token(db_path, "worker", name) for key, name in WORKER_NAMES.items()}
    in_terminal = args.json or args.terminal or not has_display()
    if not in_terminal:
        # Qt before any thread starts: shiboken's first import walks sys.modules without a
        # lock, and a server or worker thread importing meanwhile (httpx imports httpcore
        # when its first client is made) aborted the demo ("dictionary changed size
        # during iteration", seen once in a busy suite run).
        import jobdesk.gui.app  # noqa: F401
    try:
        server = EmbeddedServer(config)
        server.start()
    except (OSError, RuntimeError, TimeoutError) as exc:
        raise CliError(f"cannot start the demo server: {exc}") from None
    fleet = DemoFleet(server.url, operator, workers, seed=args.seed, pace=args.pace)
    # Demo workers meet refusals on purpose (a stalled job the server timed out).
    with quiet("jobdesk.sdk"), quiet("jobdesk.demo"):
        try:
            _announce(server.url, operator, db_path)
            fleet.start()
            try:
                if in_terminal:
                    watch(
                        server.url,
                        operator,
                        server=DEMO_SERVER,
                        json_lines=args.json,
                        duration=args.duration,
                    )
                else:
                    _monitor(server.url, operator, args.duration)
            finally:
                fleet.stop()
        finally:
            server.stop()
    print(
        f"jobdesk: demo stopped after {len(fleet.created)} jobs; they are in {db_path} "
        f"(jobdesk serve --db {db_path})",
        file=sys.stderr,
    )
    return 0


def _monitor(url: str, operator: str, duration: float | None) -> None:
    """The desktop monitor on the demo server only; the saved servers are left alone."""
    import tempfile

    from jobdesk.client.monitor import ServerProfile
    from jobdesk.client.profiles import ProfileStore
    from jobdesk.gui.app import run_monitor

    scratch = ProfileStore(Path(tempfile.mkdtemp(prefix="jobdesk-demo-config-")))
    run_monitor(
        [ServerProfile(DEMO_SERVER, url, operator)], profile_store=scratch, duration=duration
    )


def _announce(url: str, operator: str, db_path: Path) -> None:
    print(
        f"jobdesk: demo server at {url}, database {db_path}\n"
        f"jobdesk: to watch from another terminal: "
        f"{options.TOKEN_ENV}={operator} {jobdesk_command()} watch {url}",
        file=sys.stderr,
        flush=True,
    )
