"""``jobdesk watch``: follow a server's jobs live in the terminal (also the demo's view)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from jobdesk.cli import options
from jobdesk.cli.backend_options import (
    add_backend_options,
    add_url_argument,
    backend_from,
    needs_token,
    urls_from,
)
from jobdesk.cli.errors import CliError, UsageError
from jobdesk.cli.parser import Commands, Parser, command
from jobdesk.cli.watch_filter import job_test, status_words

if TYPE_CHECKING:
    import asyncio

    from jobdesk.client.engine import Engine

DESCRIPTION = f"""\
Follow the jobs of a jobdesk server as they change: a live table, or with --json one
JSON object per line per change (id, name, status, progress, message, updatedAt, seq;
the current jobs first, then every change). Connection changes, what changed while
the connection was down, and errors go to stderr. It reconnects by itself (polling the
server meanwhile, when it can); a refused token ends it with exit 1; Ctrl+C stops it.

The token comes from --token or ${options.TOKEN_ENV} (a backend without credentials, such as
--backend jobs-api, needs none); any role may watch (viewer is enough):
  JOBDESK_TOKEN=$(jobdesk token create --role viewer --name wall-screen) jobdesk watch
  jobdesk watch http://127.0.0.1:8765 --json | jq -c 'select(.status == "failed")'

Several URLs (as arguments, or separated by commas) are replicas of one jobdesk
cluster: it connects to the first and fails over to the next in order, resuming where
it left off; the connection line names the one in use ("live via host:port").
"""


def register(commands: Commands[Parser]) -> None:
    parser = command(commands, "watch", "watch jobs live in the terminal", DESCRIPTION)
    add_url_argument(
        parser,
        f"the server, http(s):// or ws(s):// (default: ${options.URL_ENV}, "
        f"else {options.DEFAULT_URL}); more URLs: replicas of the same cluster",
    )
    options.add_token_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON lines, not a table")
    parser.add_argument(
        "--status",
        type=status_words,
        action="extend",
        metavar="WORD[,WORD]",
        help="show only jobs in these states: any seed's word for a status (queued, "
        "running, failed, pending, error, ...) or stale; repeat or separate with commas",
    )
    add_backend_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    kind, backend_options = backend_from(args)
    first, backend_options = urls_from(args, kind, backend_options)
    url = first or options.server_url(None)
    token = options.token(args.token, required=needs_token(kind))
    try:
        server = server_name(url)
    except ValueError as exc:
        raise UsageError(f"argument URL: {exc}") from None
    return watch(
        url,
        token,
        server=server,
        json_lines=args.json,
        statuses=args.status,
        kind=kind,
        options=backend_options,
    )


def server_name(url: str) -> str:
    """``host:port`` of the server at ``url``: the name the store keys its jobs by.

    ValueError for a URL that is not a server's.
    """
    from jobdesk.client.replicas import host_port

    return host_port(url)


def watch(
    url: str,
    token: str,
    *,
    server: str,
    json_lines: bool,
    duration: float | None = None,
    statuses: list[str] | None = None,
    kind: str = "jobdesk",
    options: dict[str, str] | None = None,
) -> int:
    """Run the view until Ctrl+C (exit 0, quietly) or for ``duration`` seconds."""
    import asyncio
    import contextlib

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            follow(
                url,
                token,
                server=server,
                json_lines=json_lines,
                duration=duration,
                statuses=statuses,
                kind=kind,
                options=options,
            )
        )
    return 0


async def follow(
    url: str,
    token: str,
    *,
    server: str,
    json_lines: bool,
    duration: float | None,
    statuses: list[str] | None = None,
    kind: str = "jobdesk",
    options: dict[str, str] | None = None,
) -> None:
    """Keep ``server``'s jobs current with the engine and show them with the chosen view.

    A refused token ends the watch with a CliError: the engine would wait for a new token
    (the GUI asks for one), but a terminal user can only restart with another one.
    """
    import asyncio

    from jobdesk.cli.watch_json import JsonLinesView
    from jobdesk.cli.watch_state import StateReporter
    from jobdesk.cli.watch_table import TableView
    from jobdesk.client.engine import Engine
    from jobdesk.core.connection import ConnectionState, Transport
    from jobdesk.core.store import JobStore

    store = JobStore()
    engine = Engine(server, url, token, store, kind=kind, options=options)
    shown = job_test(statuses)
    states = StateReporter()
    ended: asyncio.Future[Exception] = asyncio.get_running_loop().create_future()

    def end(error: Exception) -> None:
        if not ended.done():
            ended.set_result(error)

    def on_state(state: ConnectionState) -> None:
        if state.transport is Transport.AUTH_FAILED:  # the error line says it
            end(CliError(f"the server refused the token: {state.detail}"))
        else:
            states.report(state)

    engine.state.subscribe(on_state)
    engine.on_away(states.away)
    if json_lines:
        store.subscribe(JsonLinesView(store, on_error=end, shown=shown).changed)
        await _run(engine, ended, duration)
    else:
        with TableView(f"jobdesk {url}", store, server, engine.state, shown=shown):
            await _run(engine, ended, duration)


async def _run(engine: Engine, ended: asyncio.Future[Exception], duration: float | None) -> None:
    """Run the engine until ``ended`` holds an error (raised here) or ``duration`` is over."""
    import asyncio
    import contextlib

    task = asyncio.create_task(engine.run(), name=f"engine {engine.server}")
    either: set[asyncio.Future[Any]] = {task, ended}
    try:
        await asyncio.wait(either, timeout=duration, return_when=asyncio.FIRST_COMPLETED)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task  # raises what ended the engine, if not our cancel
    if ended.done():
        raise ended.result()
