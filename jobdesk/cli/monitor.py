"""``jobdesk monitor`` (and ``jobdesk`` with no arguments): the desktop monitor."""

from __future__ import annotations

import argparse
import os
import sys

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

DESCRIPTION = f"""\
Open the desktop monitor on the saved servers (File > Servers to change them; on first
start it asks). Tokens are kept in the system keyring.

With a URL it watches that one server instead (token from --token or ${options.TOKEN_ENV}),
of any kind --backend names, beside a monitor already running:
  jobdesk monitor http://127.0.0.1:8765
Several URLs are replicas of one jobdesk cluster, followed with failover:
  jobdesk monitor http://10.0.0.1:8765 http://10.0.0.2:8765
"""


def register(commands: Commands[Parser]) -> None:
    parser = command(commands, "monitor", "open the desktop monitor (the default)", DESCRIPTION)
    parser.add_argument(
        "--duration",
        type=options.seconds,
        metavar="SECONDS",
        help="quit by itself after this long (for screenshots and tests)",
    )
    add_url_argument(parser, "watch this server only, not the saved ones (more URLs: its replicas)")
    options.add_token_option(parser)
    add_backend_options(parser)
    parser.set_defaults(handler=run)


def has_display() -> bool:
    """Qt needs a display on Linux, unless told to draw offscreen."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def require_display() -> None:
    if not has_display():
        raise CliError(
            "no display to open the desktop monitor on; "
            "'jobdesk watch URL' shows the jobs in the terminal"
        )


def run(args: argparse.Namespace) -> int:
    require_display()
    kind, backend_options = backend_from(args)
    url, backend_options = urls_from(args, kind, backend_options)
    from jobdesk.gui.app import run_monitor

    if url is None:
        if args.option or kind != "jobdesk":
            raise UsageError("--backend and --option need a URL")
        return run_monitor(duration=args.duration)
    from jobdesk.cli.watch import server_name
    from jobdesk.client.monitor import ServerProfile

    try:
        name = server_name(url)
    except ValueError as exc:
        raise UsageError(f"argument URL: {exc}") from None
    token = options.token(args.token, required=needs_token(kind))
    profile = ServerProfile(name, url, token, kind, backend_options)
    return run_monitor([profile], duration=args.duration)
