"""``jobdesk watch``: follow a server's jobs live in the terminal (also the demo's view)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from jobdesk.cli import options
from jobdesk.cli.errors import CliError, UsageError
from jobdesk.cli.parser import Commands, Parser, command

if TYPE_CHECKING:
    from jobdesk.client.watcher import WatchListener

DESCRIPTION = f"""\
Follow the jobs of a jobdesk server as they change: a live table, or with --json one
JSON object per line per change (id, name, status, progress, message, updatedAt, seq;
the current jobs first, then every change). Connection changes and errors go to stderr.
It reconnects by itself when the connection drops; Ctrl+C stops it.

The token comes from --token or ${options.TOKEN_ENV}; any role may watch (viewer is enough):
  JOBDESK_TOKEN=$(jobdesk token create --role viewer --name wall-screen) jobdesk watch
  jobdesk watch http://127.0.0.1:8765 --json | jq -c 'select(.status == "failed")'
"""


def register(commands: Commands[Parser]) -> None:
    parser = command(commands, "watch", "watch jobs live in the terminal", DESCRIPTION)
    parser.add_argument(
        "url",
        metavar="URL",
        nargs="?",
        help=f"the server, http(s):// or ws(s):// (default: ${options.URL_ENV}, "
        f"else {options.DEFAULT_URL})",
    )
    options.add_token_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON lines, not a table")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from jobdesk.client.endpoints import endpoints

    url = args.url or options.server_url(None)
    token = options.token(args.token)
    try:
        endpoints(url)
    except ValueError as exc:
        raise UsageError(f"argument URL: {exc}") from None
    return watch(url, token, json_lines=args.json)


def watch(url: str, token: str, *, json_lines: bool, duration: float | None = None) -> int:
    """Run the view until Ctrl+C (exit 0, quietly) or for ``duration`` seconds."""
    import asyncio
    import contextlib

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(follow(url, token, json_lines=json_lines, duration=duration))
    return 0


async def follow(url: str, token: str, *, json_lines: bool, duration: float | None) -> None:
    """Watch with the chosen view; a refused token is a CliError (it will not get better)."""
    import asyncio

    from jobdesk.cli.watch_json import JsonLinesView
    from jobdesk.cli.watch_table import TableView
    from jobdesk.client.watcher import AuthRejected, Watcher

    async def run_with(listener: WatchListener) -> None:
        watcher = Watcher(url, token, listener)
        try:
            async with asyncio.timeout(duration):
                await watcher.run()
        except AuthRejected as exc:
            raise CliError(f"the server refused the token: {exc}") from None
        except TimeoutError:
            pass  # the duration is over

    if json_lines:
        await run_with(JsonLinesView())
        return
    with TableView(f"jobdesk {url}") as view:
        await run_with(view)
