"""The two ways a command fails, each with its exit status.

Every failure reaches the user as one line, ``jobdesk: error: ...``, on stderr: scripts
branch on the exit status, people read the line; a traceback helps neither.
"""

from __future__ import annotations

EXIT_RUNTIME = 1
EXIT_USAGE = 2


class CliError(Exception):
    """Something went wrong while running a well-formed command (exit 1)."""

    exit_code = EXIT_RUNTIME


class UsageError(CliError):
    """The command line itself is wrong: bad arguments, missing token or URL (exit 2)."""

    exit_code = EXIT_USAGE
