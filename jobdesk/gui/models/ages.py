"""How long ago something happened, in the few words a table cell has room for.

Wire timestamps are parsed once and remembered (a repaint asks for the same rows' ages
again and again), and the text is coarse on purpose: "5 s ago", "3 min ago", "2 h ago",
so a cell's width never jumps while it ticks.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from jobdesk.protocol import parse_timestamp


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
