"""What a job table cell holds for each data role: text, tooltip, icon, greying.

The view asks for some roles on every paint (display, tooltip, status tip, what's this,
background, text alignment); they always get a value, never None, since None crossing
into C++ is where PySide has had reference-count bugs (6.12.0 on Python 3.11 aborts with
"deallocating None"). A few roles must stay None when there is nothing to say, because
any value changes the painting: a check state draws a check box, an empty icon
reserves icon space, a size hint fixes the size, a foreground brush replaces the text
colour in every colour group (disabled text would no longer grey out), and a font
costs a QFontMetrics per cell.

A row is *untrusted* while its server is not live: its data may no longer be the
server's. It is greyed, and its tooltip says how long ago the server last confirmed it.
(A *stale* job is another thing: one the server flagged for not reporting; its Status
cell says "stale" in amber.) An unacknowledged failure's row is bold.

Cells follow the backend's capabilities: an active job of a backend that reports no
progress has no percentage (``Role.PROGRESS`` is ``UNKNOWN_PROGRESS``: the delegate
draws a busy bar), and a row of a polled backend says in its tooltip how long ago it
was last confirmed, since a poll, not a push, is what keeps it current.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication, QPalette

from jobdesk.client.capabilities import Can, Capabilities
from jobdesk.core.store import JobKey
from jobdesk.gui.formatting import age_text, moment_tooltip
from jobdesk.gui.models.columns import TEXTS, Column
from jobdesk.gui.models.icons import STATE_COLOURS, state_icon
from jobdesk.gui.models.roles import Role
from jobdesk.gui.models.states import State, state_of
from jobdesk.protocol import JobSummary, Status

Handler = Callable[[JobKey, int], Any]
"""The value of one role for a cell: (row's key, column) -> value."""

_ItemRole = Qt.ItemDataRole
_LEFT: Final = (Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value
_CENTRE: Final = Qt.AlignmentFlag.AlignCenter.value
_ALIGNMENT: Final = tuple(_CENTRE if column is Column.PROGRESS else _LEFT for column in Column)
_NO_BRUSH: Final = QBrush()
_STALE_TIP: Final = "stale: the server has had no report from its worker for a while"
UNKNOWN_PROGRESS: Final = -1.0
"""``Role.PROGRESS`` of an active job whose backend reports no progress."""


class Cells:
    """The role handlers for rows whose jobs are in ``jobs``."""

    def __init__(
        self,
        jobs: Mapping[JobKey, JobSummary],
        is_live: Callable[[str], bool],
        confirmed_at: Callable[[JobKey], float | None],
        clock: Callable[[], float],
        unacknowledged: Callable[[JobKey], bool],
        capabilities_of: Callable[[str], Capabilities],
    ) -> None:
        self._jobs = jobs
        self._is_live = is_live
        self._confirmed_at = confirmed_at
        self._clock = clock
        self._unacknowledged = unacknowledged
        self._capabilities_of = capabilities_of
        self._bold: QFont | None = None
        self._stale_brush: QBrush | None = None

    def handlers(self) -> dict[int, Handler]:
        """Role -> handler; a role not in it has no value (None)."""
        jobs, is_live = self._jobs, self._is_live
        return {
            _ItemRole.DisplayRole.value: self.text,
            _ItemRole.ToolTipRole.value: self.tooltip,
            _ItemRole.DecorationRole.value: self.icon,
            _ItemRole.ForegroundRole.value: self.foreground,
            _ItemRole.FontRole.value: self.font,
            _ItemRole.BackgroundRole.value: lambda key, column: _NO_BRUSH,
            _ItemRole.TextAlignmentRole.value: lambda key, column: _ALIGNMENT[column],
            _ItemRole.StatusTipRole.value: lambda key, column: "",
            _ItemRole.WhatsThisRole.value: lambda key, column: "",
            _ItemRole.AccessibleTextRole.value: self.text,
            Role.KEY: lambda key, column: key,
            Role.JOB: lambda key, column: jobs[key],
            Role.UNTRUSTED: lambda key, column: not is_live(key[0]),
            Role.PROGRESS: self.progress,
        }

    def progress(self, key: JobKey, column: int) -> float:
        job = self._jobs[key]
        if job.status.is_active and Can.PROGRESS not in self._capabilities_of(key[0]):
            return UNKNOWN_PROGRESS
        return job.progress

    def text(self, key: JobKey, column: int) -> str:
        return TEXTS[column](self._jobs[key], key, self._clock())

    def icon(self, key: JobKey, column: int) -> Any:
        return state_icon(state_of(self._jobs[key])) if column == Column.STATUS else None

    def foreground(self, key: JobKey, column: int) -> Any:
        if self._is_live(key[0]):
            if column == Column.STATUS and state_of(self._jobs[key]) is State.STALE:
                if self._stale_brush is None:
                    self._stale_brush = QBrush(QColor(STATE_COLOURS[State.STALE]).darker(125))
                return self._stale_brush
            return None
        palette = QGuiApplication.palette()
        return QBrush(palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))

    def font(self, key: JobKey, column: int) -> Any:
        """Bold for a failure not yet acknowledged; None (the view's font) otherwise."""
        if self._jobs[key].status is not Status.FAILED or not self._unacknowledged(key):
            return None
        if self._bold is None:
            self._bold = QFont(QGuiApplication.font())
            self._bold.setBold(True)
        return self._bold

    def tooltip(self, key: JobKey, column: int) -> str:
        job = self._jobs[key]
        now = self._clock()
        if column == Column.UPDATED:
            text = f"Updated {moment_tooltip(job.updated_at)}"
        elif column == Column.STATUS and state_of(job) is State.STALE:
            text = _STALE_TIP
        elif column == Column.MESSAGE and job.status is Status.FAILED and job.error:
            text = job.error
        else:
            text = TEXTS[column](job, key, now)
        polled = Can.PUSH not in self._capabilities_of(key[0])
        if self._is_live(key[0]) and not polled:
            return text
        confirmed = self._confirmed_at(key)
        if polled and self._is_live(key[0]):
            seen = "not yet" if confirmed is None else f"{age_text(now - confirmed)} ago"
            note = f"{key[0]} is polled: this row was last confirmed {seen}"
            return f"{text}\n{note}" if text else note
        if confirmed is None:
            note = f"{key[0]} is not live: this row was never confirmed by it"
        else:
            age = age_text(now - confirmed)
            note = f"{key[0]} is not live: this row was last confirmed {age} ago"
        return f"{text}\n{note}" if text else note
