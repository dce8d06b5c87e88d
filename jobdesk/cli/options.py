"""Argument types and the server URL / token lookup shared by the commands.

Each type checks its argument while the command line is parsed, so a bad value is a
usage error naming the argument (``argument PERCENT: ...``) before anything is sent.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from typing import Any, Final

from jobdesk.cli.errors import UsageError

URL_ENV: Final = "JOBDESK_URL"
TOKEN_ENV: Final = "JOBDESK_TOKEN"
DEFAULT_URL: Final = "http://127.0.0.1:8765"
"""Where ``jobdesk serve`` listens by default, so the two work together unconfigured."""


def percent(text: str) -> float:
    """Progress on the command line is in percent (0-100), like the Job model."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 100:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"must be a percentage from 0 to 100, got {text!r}")
    return value


def seconds(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def megabytes(text: str) -> int:
    """A size given in megabytes (fractions allowed), as bytes."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of megabytes, got {text!r}")
    return max(1, int(value * 1024 * 1024))


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 up, got {text!r}")
    return value


def seconds_or_zero(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, got {text!r}")
    return value


def _number(text: str) -> float:
    """A finite float; anything else is an error quoting the text."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}")
    return value


def port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {text!r}")
    return value


def name(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text.strip()


def json_value(text: str) -> Any:
    """Any JSON value; NaN and Infinity are refused because JSON has no such numbers."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not valid JSON")

    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise argparse.ArgumentTypeError(f"is not valid JSON ({exc}): {_short(text)}") from None


def json_object(text: str) -> dict[str, Any]:
    value = json_value(text)
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(
            f'must be a JSON object like \'{{"fileName": "a.pdf"}}\', got {_short(text)}'
        )
    return value


def _short(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        help=f"the jobdesk server (default: ${URL_ENV}, else {DEFAULT_URL})",
    )
    add_token_option(parser)


def add_token_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--token",
        help=f"bearer token; prefer ${TOKEN_ENV}, since command lines are visible to "
        "other users in the process list and end up in shell history",
    )


def server_url(given: str | None) -> str:
    url = given or os.environ.get(URL_ENV) or DEFAULT_URL
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"the server URL must start with http:// or https://, got {url!r}")
    return url.rstrip("/")


def token(given: str | None, *, required: bool = True) -> str:
    """--token, else $JOBDESK_TOKEN; "" only when not ``required`` (a backend that
    takes none, such as seed 002's Jobs API or a Socket.IO service without auth)."""
    found = given or os.environ.get(TOKEN_ENV, "").strip()
    if not found and required:
        raise UsageError(
            f"no token: set {TOKEN_ENV} (recommended) or pass --token; "
            "create one with 'jobdesk token create'"
        )
    return found
