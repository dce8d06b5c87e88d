"""What every ``jobdesk job ...`` command shares: its server options, one short SDK
session, and SDK errors turned into one line on stderr.

Each invocation is one short-lived SDK client: it sends its request, waits until the
server has it (the SDK otherwise coalesces progress in the background), and exits
non-zero with one line on stderr when the server refuses it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from jobdesk.cli import options
from jobdesk.cli.errors import CliError
from jobdesk.cli.parser import Parser

if TYPE_CHECKING:
    from jobdesk.sdk import JobdeskClient, SdkError

RETRY_FOR: Final = 10.0
"""Seconds a command keeps retrying an unreachable server: a script survives a quick
server restart, and still fails soon enough when the server is really gone."""

Action = Callable[["JobdeskClient", argparse.Namespace], None]
Explain = Callable[["SdkError", str], CliError]


def add_common(parser: Parser) -> None:
    options.add_server_options(parser)
    parser.add_argument(
        "--retry-for",
        type=options.seconds_or_zero,
        default=RETRY_FOR,
        metavar="SECONDS",
        help=f"keep retrying an unreachable server this long (default: {RETRY_FOR:g}; "
        "0 tries once)",
    )


def explain(exc: SdkError, url: str) -> CliError:
    """``message (CODE)``, or that the server could not be reached at all."""
    from jobdesk.sdk import UNAVAILABLE

    if exc.code == UNAVAILABLE:
        return CliError(unreachable(url, exc.message))
    return CliError(f"{exc.message} ({exc.code})")


def unreachable(url: str, detail: str) -> str:
    return f"cannot reach the jobdesk server at {url}: {detail}"


def with_client(
    action: Action, explained: Explain = explain
) -> Callable[[argparse.Namespace], int]:
    """Wrap an action: resolve URL and token, open a client, turn SDK errors into one line."""

    def run(args: argparse.Namespace) -> int:
        url, token = options.server_url(args.url), options.token(args.token)
        from jobdesk.cli.logs import quiet
        from jobdesk.sdk import JobdeskClient, RetryPolicy, SdkError

        retry_for: float = args.retry_for
        retry = RetryPolicy(max_attempts=1 if retry_for == 0 else 10, max_elapsed=retry_for)
        try:
            with quiet("jobdesk.sdk"), JobdeskClient(url, token, retry=retry) as client:
                action(client, args)
        except SdkError as exc:
            raise explained(exc, url) from None
        return 0

    return run
