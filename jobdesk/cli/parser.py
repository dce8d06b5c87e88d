"""argparse, made to report a usage error as one line instead of usage text plus error."""

from __future__ import annotations

import argparse
from typing import NoReturn

from jobdesk.cli.errors import UsageError

Commands = argparse._SubParsersAction  # the type add_subparsers returns


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are raised as UsageError, for ``main`` to print.

    Raising instead of exiting also lets tests call ``main([...])`` in-process.
    """

    code: str = ""
    """Put before the message: ``job submit`` reports every error in seed 000's codes."""

    def error(self, message: str) -> NoReturn:
        prefix = f"{self.code}: " if self.code else ""
        raise UsageError(f"{prefix}{message} (see '{self.prog} --help')")


def add_commands(parser: Parser, title: str) -> Commands[Parser]:
    """Subcommands under ``parser``; one of them is required."""
    return parser.add_subparsers(title=title, metavar="COMMAND", required=True, parser_class=Parser)


def command(commands: Commands[Parser], name: str, summary: str, description: str) -> Parser:
    """A subcommand whose --help shows ``description`` as written (examples keep their lines)."""
    return commands.add_parser(
        name,
        help=summary,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
