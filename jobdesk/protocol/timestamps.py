"""Wire timestamps: ISO 8601 UTC with milliseconds, e.g. ``2026-11-22T10:00:00.123Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def format_timestamp(moment: datetime) -> str:
    """Format an aware datetime the way the wire contract spells times."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> datetime:
    """Parse a wire timestamp (any ISO 8601 form with a zone) into an aware UTC datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no time zone")
    return moment.astimezone(UTC)


def now_timestamp() -> str:
    return format_timestamp(datetime.now(UTC))
