"""What a backend can do, said once, so everything above it follows instead of guessing.

A jobdesk server does everything; a seed backend may push without replay, report no
progress, or offer no actions at all. The monitor hides what a backend lacks, shows
progress it does not report as indeterminate, and labels how current its data is
(``delivery``), the way CCMenu's feeds and Grafana's data sources each declare theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Flag, auto


class Can(Flag):
    LIST = auto()
    """A REST listing of the jobs: the initial load, and polling while push is down."""
    PUSH = auto()
    """Changes pushed as they happen (a socket)."""
    RESUME = auto()
    """A reconnect resumes where it left off (replay from a sequence number); without it
    every reconnect reloads the list."""
    PROGRESS = auto()
    """Jobs report a fraction done; without it progress is indeterminate."""
    LOGS = auto()
    SUBMIT = auto()
    CANCEL = auto()
    RETRY = auto()
    FORCE_FAIL = auto()
    STATS = auto()
    """Queue counts (jobs per status) from the backend itself."""
    HEALTH = auto()
    """An endpoint that says whether the backend is healthy."""
    WORKERS = auto()
    """Workers and queues (the jobdesk server's queue overview)."""
    HISTORY = auto()
    """Finished jobs read back from the backend's database, filtered and paged (the
    jobdesk server's ``GET /api/history``), after they left its live set."""


_WORDS = {
    Can.LIST: "list jobs",
    Can.PUSH: "push changes",
    Can.RESUME: "resume after a reconnect",
    Can.PROGRESS: "report progress",
    Can.LOGS: "show logs",
    Can.SUBMIT: "submit jobs",
    Can.CANCEL: "cancel jobs",
    Can.RETRY: "retry jobs",
    Can.FORCE_FAIL: "force-fail jobs",
    Can.STATS: "report queue counts",
    Can.HEALTH: "report health",
    Can.WORKERS: "show workers and queues",
    Can.HISTORY: "show the history of finished jobs",
}


@dataclass(frozen=True)
class Capabilities:
    can: Can
    poll_every: float | None = None
    """Seconds between polls when the backend is polled (no push, or push is down);
    None: the engine's own interval. A backend without LIST is polled only when it
    names one (it polls what it tracks, one job at a time)."""

    def __contains__(self, wanted: Can) -> bool:
        return (self.can & wanted) == wanted

    @property
    def delivery(self) -> str:
        """How current the data is, in the words the status bar uses."""
        if Can.PUSH not in self.can:
            return "polled"
        if Can.RESUME not in self.can:
            return "live, no replay"
        return "live push"

    def lacks(self) -> list[str]:
        """What this backend cannot do, in words (for the Servers dialog and the README)."""
        return [words for flag, words in _WORDS.items() if flag not in self.can]


JOBDESK = Capabilities(Can(sum(flag.value for flag in Can)))
"""A jobdesk server: everything."""
