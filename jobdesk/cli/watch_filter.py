"""``jobdesk watch --status``: which jobs a watch shows, by status (any seed's word) or
``stale`` (an active job the server marked stale), for both views."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable

from jobdesk.protocol import JobSummary, Status, parse_status

JobTest = Callable[[JobSummary], bool]
STALE = "stale"


def status_words(text: str) -> list[str]:
    """An argument of comma-separated words, each checked as it is parsed."""
    words = [word.strip().lower() for word in text.split(",") if word.strip()]
    if not words:
        raise argparse.ArgumentTypeError("needs at least one status")
    for word in words:
        if word != STALE:
            try:
                parse_status(word)
            except ValueError as exc:
                raise argparse.ArgumentTypeError(f"{exc}, or {STALE}") from None
    return words


def job_test(words: Iterable[str] | None) -> JobTest | None:
    """A test of which jobs to show (None: all): any of the statuses named, or stale."""
    if not words:
        return None
    chosen = list(words)
    statuses: set[Status] = {parse_status(word) for word in chosen if word != STALE}
    stale = STALE in chosen
    return lambda job: job.status in statuses or (stale and job.stale and job.status.is_active)
