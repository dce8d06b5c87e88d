"""Reading a job's payload from the New job dialog's text: JSON, or nothing.

Checked on every keystroke, so the message must say what is wrong and where in words an
operator can act on (``line 2, column 14: expected ',' or '}'``), not a traceback. Python's
``json`` accepts NaN and Infinity, which no other JSON reader does: they are refused
here, since the worker that receives the payload may not be written in Python.
"""

from __future__ import annotations

import json
from typing import Any, Final

MAX_BYTES: Final = 1024 * 1024
"""The server refuses a request body over 1 MiB (docs/queue.md)."""


class PayloadError(ValueError):
    """Why the text is not a payload; the message is shown as it is."""


def _refuse_constant(name: str) -> Any:
    raise PayloadError(f"{name} is not JSON (use null, a number or a string)")


def parse_payload(text: str) -> Any:
    """The payload the text holds; None for an empty text (no payload)."""
    if not text.strip():
        return None
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise PayloadError(f"{size / MAX_BYTES:.1f} MiB: a request may carry at most 1 MiB")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        message = exc.msg[0].lower() + exc.msg[1:]
        raise PayloadError(f"not JSON: line {exc.lineno}, column {exc.colno}: {message}") from None
