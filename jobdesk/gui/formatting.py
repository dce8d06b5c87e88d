"""How the monitor writes times, ages, percentages and priorities: one way everywhere.

- Times are local: ``04:20:27`` today, ``12-01 21:37`` on another day (``short_time``),
  with the full moment in the operator's zone (``local_time_text``) and the ISO UTC wire
  timestamp (``moment_tooltip``) in tooltips.
- Ages are relative and coarse on purpose: "5 s ago", "3 min ago", "2 h ago", so a
  cell's width never jumps while it ticks. Wire timestamps are parsed once and
  remembered (a repaint asks for the same rows' ages again and again).
- Percentages read ``5%`` (no decimals, no space); priorities are lower case.

Qt-free, so the table's cells, the detail panel and the dialogs share it.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from jobdesk.protocol import parse_timestamp
from jobdesk.protocol.models import Priority


@lru_cache(maxsize=8192)
def epoch_of(timestamp: str) -> float:
    """Seconds since the epoch of a wire timestamp; NaN if it cannot be read."""
    try:
        return parse_timestamp(timestamp).timestamp()
    except ValueError:
        return float("nan")


def age_text(seconds: float) -> str:
    """``5 s``, ``3 min``, ``2 h``, ``4 d``: clock skew (a negative age) reads as ``0 s``."""
    if seconds != seconds:  # NaN: an unreadable timestamp
        return "?"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min"
    if seconds < 86400:
        return f"{seconds // 3600:.0f} h"
    return f"{seconds // 86400:.0f} d"


def ago_text(timestamp: str, now: float) -> str:
    """The cell text for a wire timestamp: ``5 s ago``."""
    then = epoch_of(timestamp)
    return "?" if then != then else f"{age_text(now - then)} ago"


def local_time_text(timestamp: str) -> str:
    """The full moment in the operator's time zone, for a tooltip."""
    then = epoch_of(timestamp)
    if then != then:
        return timestamp
    local = datetime.fromtimestamp(then).astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S.") + f"{local.microsecond // 1000:03d} {local:%Z}"


def short_time(timestamp: str, now: float) -> str:
    """``04:20:27`` for a moment of today (local time), ``12-01 21:37`` otherwise."""
    then = epoch_of(timestamp)
    if then != then:
        return timestamp
    local = datetime.fromtimestamp(then).astimezone()
    if local.date() == datetime.fromtimestamp(now).astimezone().date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%m-%d %H:%M")


def moment_text(timestamp: str, now: float) -> str:
    """``04:20:27 (3 min ago)``: the local time, and how long ago when it is in the past."""
    then = epoch_of(timestamp)
    if then != then:
        return timestamp
    text = short_time(timestamp, now)
    return f"{text} ({age_text(now - then)} ago)" if then <= now else text


def moment_tooltip(timestamp: str) -> str:
    """The full local moment and the wire's ISO UTC timestamp, for a tooltip."""
    return f"{local_time_text(timestamp)}\n{timestamp} (UTC)"


def percent_text(percent: float) -> str:
    """``5%``: whole percents, as the table's bars and the detail panel show them."""
    return f"{percent:.0f}%"


def priority_text(priority: Priority) -> str:
    return priority.value.lower()
