"""``watch`` without --json: a live table of the jobs, drawn with rich.

The table is rebuilt from the store on each refresh (a few times a second) rather than
patched per event: a burst of updates then costs one redraw, and the "updated" ages
keep counting while nothing happens. While the connection is not live the title says
so, with the age of the data (when the server last confirmed it), since the rows may
no longer be the server's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from rich import box
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from jobdesk.core.connection import WORDS, ConnectionState, Transport
from jobdesk.core.observable import Observable
from jobdesk.core.store import JobStore, ServerJobs
from jobdesk.protocol import JobSummary, Status, parse_timestamp

STATUS_STYLE = {
    Status.QUEUED: "cyan",
    Status.RUNNING: "blue",
    Status.RETRYING: "yellow",
    Status.COMPLETED: "green",
    Status.FAILED: "bold red",
    Status.CANCELLED: "magenta",
}
STATE_STYLE = {
    Transport.CONNECTING: "yellow",
    Transport.LIVE: "green",
    Transport.POLLING: "yellow",
    Transport.OFFLINE: "bold red",
    Transport.AUTH_FAILED: "bold red",
}
WIDE = 110
"""Terminals at least this many columns wide get every column."""
BAR = 12
"""Characters of a progress bar, in a wide terminal (a narrow one shows the percent)."""
CHROME_ROWS = 8
"""Lines the title, header, caption and borders take; the rest of the screen is rows."""


class TableView:
    """A rich Live table of one server's jobs in ``store``; use it as a context manager."""

    def __init__(
        self,
        title: str,
        store: JobStore,
        server: str,
        connection: Observable[ConnectionState],
        console: Console | None = None,
        shown: Callable[[JobSummary], bool] | None = None,
    ):
        self._title = title
        self._shown = shown
        self._store = store
        self._server = server
        self._connection = connection
        self._console = console or Console()
        self._live = Live(
            get_renderable=self.render,
            console=self._console,
            refresh_per_second=4,
            transient=False,
        )

    def __enter__(self) -> TableView:
        self._live.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._live.stop()

    def render(self) -> RenderableType:
        width, height = self._console.size
        return render_table(
            self._store.server(self._server),
            self._title,
            self._connection.value,
            now=datetime.now(UTC),
            max_rows=max(3, height - CHROME_ROWS),
            wide=width >= WIDE,
            shown=self._shown,
        )


def render_table(
    view: ServerJobs,
    title: str,
    state: ConnectionState,
    *,
    now: datetime,
    max_rows: int,
    wide: bool = True,
    shown: Callable[[JobSummary], bool] | None = None,
) -> RenderableType:
    """The whole view: active jobs first (oldest first, so rows stay put), then the
    finished ones, newest first, as many as fit (``shown``: only the jobs it accepts).
    A narrow terminal (80 columns) drops the type and owner columns and the bars, and
    gives the name the most room, so names stay readable."""
    jobs_shown = [j for j in view.jobs.values() if shown is None or shown(j)]
    active = sorted((j for j in jobs_shown if j.status.is_active), key=_created)
    finished = sorted(
        (j for j in jobs_shown if not j.status.is_active), key=_finished, reverse=True
    )
    jobs = active + finished
    table = Table(
        title=_title(title, state, view.confirmed_at, now),
        caption=_counts(jobs_shown),
        expand=True,
        box=None if not wide else box.HEAVY_HEAD,
    )
    table.add_column("name", no_wrap=True, overflow="ellipsis", ratio=6, min_width=16)
    if wide:
        table.add_column("type", no_wrap=True, overflow="ellipsis", ratio=2, max_width=17)
    table.add_column("status", no_wrap=True)
    table.add_column("progress" if wide else "%", no_wrap=True, width=BAR + 5 if wide else 4,
                     justify="right")  # fmt: skip
    table.add_column("message", no_wrap=True, overflow="ellipsis", ratio=5 if wide else 4)
    if wide:
        table.add_column("owner", no_wrap=True, overflow="ellipsis", ratio=2, max_width=16)
    table.add_column("updated", no_wrap=True, justify="right")
    for job in jobs[:max_rows]:
        cells: list[RenderableType] = [job.name]
        if wide:
            cells.append(job.job_type)
        progress = _progress(job, BAR) if wide else Text(f"{job.progress:.0f}%")
        cells += [_status(job), progress, _message(job)]
        if wide:
            cells.append(job.owner or "-")
        cells.append(_age(job.updated_at, now))
        table.add_row(*cells)
    if len(jobs) > max_rows:
        return Group(table, Text(f"... and {len(jobs) - max_rows} more", style="dim"))
    return table


def _title(title: str, state: ConnectionState, confirmed_at: float | None, now: datetime) -> Text:
    """The title and the transport; when not live, how old the shown data is."""
    words = WORDS[state.transport] + state.where()  # with replicas, the one in use
    text = Text.assemble((title, "bold"), "  ", (words, STATE_STYLE[state.transport]))
    if state.transport is not Transport.LIVE and confirmed_at is not None:
        age = _ago(now.timestamp() - confirmed_at)
        text.append(f"  data as of {age}", style="bold yellow")
    return text


def _created(job: JobSummary) -> tuple[str, str]:
    return (job.created_at, job.id)


def _finished(job: JobSummary) -> tuple[str, str]:
    return (job.finished_at or job.updated_at, job.id)


def _status(job: JobSummary) -> Text:
    text = Text(job.status.value, style=STATUS_STYLE[job.status])
    if job.stale and job.status.is_active:
        text.append(" stale", style="bold yellow")
    return text


def _progress(job: JobSummary, bar: int) -> RenderableType:
    grid = Table.grid(padding=(0, 1))
    grid.add_row(
        ProgressBar(
            total=100,
            completed=job.progress,
            width=bar,
            complete_style="red" if job.status is Status.FAILED else "blue",
            finished_style="green",
        ),
        Text(f"{job.progress:3.0f}%", justify="right"),
    )
    return grid


def _message(job: JobSummary) -> Text:
    if job.status is Status.FAILED and job.error:
        return Text(job.error, style="red")
    return Text(job.message)


def _age(timestamp: str, now: datetime) -> str:
    try:
        return _ago((now - parse_timestamp(timestamp)).total_seconds())
    except ValueError:
        return "?"


def _ago(elapsed: float) -> str:
    seconds = max(0, int(elapsed))
    if seconds < 60:
        return f"{seconds}s ago"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    if seconds < 86400:
        return f"{seconds // 3600}h ago"
    return f"{seconds // 86400}d ago"


def _counts(jobs: Iterable[JobSummary]) -> str:
    counts: dict[Status, int] = {}
    for job in jobs:
        counts[job.status] = counts.get(job.status, 0) + 1
    return "  ".join(f"{counts[s]} {s.value}" for s in Status if s in counts) or "no jobs"
