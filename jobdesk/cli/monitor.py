"""``jobdesk monitor`` (and ``jobdesk`` with no arguments): the desktop monitor."""

from __future__ import annotations

import argparse
import os
import sys

from jobdesk.cli import options
from jobdesk.cli.errors import CliError
from jobdesk.cli.parser import Commands, Parser, command

DESCRIPTION = """\
Open the desktop monitor on the saved servers (File > Servers to change them; on first
start it asks). Tokens are kept in the system keyring.
"""


def register(commands: Commands[Parser]) -> None:
    parser = command(commands, "monitor", "open the desktop monitor (the default)", DESCRIPTION)
    parser.add_argument(
        "--duration",
        type=options.seconds,
        metavar="SECONDS",
        help="quit by itself after this long (for screenshots and tests)",
    )
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
    from jobdesk.gui.app import run_monitor

    return run_monitor(duration=args.duration)
