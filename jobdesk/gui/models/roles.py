"""The job table's own data roles, for views and delegates that need more than text."""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import Qt

_USER = Qt.ItemDataRole.UserRole.value


class Role(IntEnum):
    KEY = _USER + 1
    """The row's ``(server, job id)``."""
    JOB = _USER + 2
    """The job (a ``jobdesk.protocol.JobSummary``) as last applied."""
    UNTRUSTED = _USER + 3
    """True while the row's server is not live: the data may be old (greyed). Not the
    job's own *stale* state (no report for a while), which is ``states.State.STALE``."""
    PROGRESS = _USER + 4
    """Progress as a float, 0-100, for the progress delegate."""
