"""``jobdesk``: the entry point; builds the parser, runs one command, maps failures to exits.

Whatever goes wrong ends as one line on stderr and an exit status: 2 for a bad command
line, 1 for a failure while running, 130 for Ctrl+C in a command that does not treat it
as its normal end (``watch`` and ``demo`` exit 0). ``JOBDESK_DEBUG=1`` shows the
traceback of an unexpected error instead, for bug reports.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from jobdesk import __version__
from jobdesk.cli import demo, history, jobs, monitor, serve, tokens, watch
from jobdesk.cli.errors import EXIT_RUNTIME, CliError
from jobdesk.cli.parser import Parser, add_commands

EXIT_INTERRUPTED = 130

DESCRIPTION = """\
jobdesk: a monitor for long-running jobs, the job server it watches, and the tools
workers and scripts use to report to it.

  jobdesk                                         # the desktop monitor (saved servers)
  jobdesk token create --role operator --name me   # make a token (printed once)
  jobdesk serve                                   # run the server on 127.0.0.1:8765
  jobdesk watch                                   # follow the jobs in the terminal
  jobdesk history --status failed                 # the jobs it keeps, finished ones too
  jobdesk demo                                    # all of it, with simulated workers
"""


def build_parser() -> Parser:
    parser = Parser(
        prog="jobdesk",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"jobdesk {__version__}")
    parser.add_argument(
        "--self-test",
        action=SelfTestAction,
        help="check this installation end to end, offscreen (server, queue, monitor), and exit",
    )
    commands = add_commands(parser, "commands")
    for module in (monitor, serve, tokens, jobs, watch, history, demo):
        module.register(commands)
    return parser


class SelfTestAction(argparse.Action):
    """``--self-test`` acts at once, like ``--version``: no command is needed."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, *_: Any) -> None:
        from jobdesk.cli.self_test import run_self_test

        raise SystemExit(run_self_test())


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not args_list:
        args_list = ["monitor"]  # the desktop monitor is what most people start jobdesk for
    try:
        args = parser.parse_args(args_list)
        handler: Callable[..., int] = args.handler
        return handler(args)
    except SystemExit as done:  # --help and --version end this way
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        return EXIT_RUNTIME
    except CliError as exc:
        return _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (``jobdesk watch --json | head``): nothing left to say.
        _silence_stdout()
        return EXIT_RUNTIME
    except Exception as exc:
        if os.environ.get("JOBDESK_DEBUG"):
            raise
        text = str(exc) or "no details"
        return _fail(
            f"unexpected {type(exc).__name__}: {text} (JOBDESK_DEBUG=1 shows the traceback)",
            EXIT_RUNTIME,
        )


def _fail(message: str, code: int) -> int:
    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    print(f"jobdesk: error: {first_line}", file=sys.stderr, flush=True)
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush raises nothing more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
