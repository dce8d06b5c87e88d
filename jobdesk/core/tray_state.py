"""The tray icon's one-glance answer: is anything wrong, and what matters most.

Priority, highest first: no server we can reach (everything we show may be out of date),
failures the operator has not acknowledged, stalled jobs (running by the book, not in
fact), work in progress, all well. One server down among several is said in the
tooltip, not by the icon: the others' news is still current.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from jobdesk.core.connection import WORDS, Transport

DISCONNECTED_TRANSPORTS = frozenset({Transport.OFFLINE, Transport.AUTH_FAILED})


class TrayState(StrEnum):
    DISCONNECTED = "disconnected"
    FAILURES = "failures"
    STALE = "stale"
    RUNNING = "running"
    ALL_WELL = "all_well"


@dataclass(frozen=True)
class TrayStatus:
    state: TrayState
    unacknowledged: int = 0
    """Failed jobs the operator has not acknowledged yet: the icon's badge."""
    running: int = 0
    """Running or retrying, the stalled ones not counted."""
    disconnected: tuple[tuple[str, Transport], ...] = ()
    """(server, transport) of each server we cannot reach."""
    stale: int = 0
    """Running jobs that stalled (the server marked them stale, or no progress for a while)."""

    def describe(self) -> str:
        """The tooltip: one line per thing worth knowing, the worst first."""
        lines = [f"{server}: {WORDS[transport]}" for server, transport in self.disconnected]
        if self.unacknowledged:
            plural = "s" if self.unacknowledged != 1 else ""
            lines.append(f"{self.unacknowledged} unacknowledged failure{plural}")
        if self.stale:
            lines.append(f"{self.stale} stalled")
        if self.running:
            lines.append(f"{self.running} running")
        return "\n".join(["jobdesk", *(lines or ["all well"])])


def tray_status(
    connections: Mapping[str, Transport], unacknowledged: int, running: int, stale: int = 0
) -> TrayStatus:
    disconnected = tuple(
        sorted((s, t) for s, t in connections.items() if t in DISCONNECTED_TRANSPORTS)
    )
    if disconnected and len(disconnected) == len(connections):
        state = TrayState.DISCONNECTED
    elif unacknowledged:
        state = TrayState.FAILURES
    elif stale:
        state = TrayState.STALE
    elif running:
        state = TrayState.RUNNING
    else:
        state = TrayState.ALL_WELL
    return TrayStatus(state, unacknowledged, running, disconnected, stale)
