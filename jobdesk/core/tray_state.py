"""The tray icon's one-glance answer: is anything wrong, and what matters most.

Priority, highest first: a server we cannot reach (everything else we show may be out
of date), failures the operator has not looked at, work in progress, all well.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from jobdesk.core.connection import Transport

DISCONNECTED_TRANSPORTS = frozenset({Transport.OFFLINE, Transport.AUTH_FAILED})


class TrayState(StrEnum):
    DISCONNECTED = "disconnected"
    FAILURES = "failures"
    RUNNING = "running"
    ALL_WELL = "all_well"


@dataclass(frozen=True)
class TrayStatus:
    state: TrayState
    unacknowledged: int = 0
    """Failed jobs the operator has not looked at yet: the icon's badge."""
    running: int = 0
    disconnected: tuple[tuple[str, Transport], ...] = ()
    """(server, transport) of each server we cannot reach."""

    def describe(self) -> str:
        """The tooltip: one line per thing worth knowing, the worst first."""
        lines = [
            f"{server}: {transport.value.replace('_', ' ')}"
            for server, transport in self.disconnected
        ]
        if self.unacknowledged:
            plural = "s" if self.unacknowledged != 1 else ""
            lines.append(f"{self.unacknowledged} new failure{plural}")
        if self.running:
            lines.append(f"{self.running} running")
        return "\n".join(["jobdesk", *(lines or ["all well"])])


def tray_status(
    connections: Mapping[str, Transport], unacknowledged: int, running: int
) -> TrayStatus:
    disconnected = tuple(
        sorted((s, t) for s, t in connections.items() if t in DISCONNECTED_TRANSPORTS)
    )
    if disconnected:
        state = TrayState.DISCONNECTED
    elif unacknowledged:
        state = TrayState.FAILURES
    elif running:
        state = TrayState.RUNNING
    else:
        state = TrayState.ALL_WELL
    return TrayStatus(state, unacknowledged, running, disconnected)
