"""The two watch views, fed by hand: what the table shows, and what a JSON line holds."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import msgspec
from rich.console import Console, RenderableType

from jobdesk.cli.watch_json import JsonLinesView
from jobdesk.cli.watch_state import StateReporter
from jobdesk.cli.watch_table import render_table
from jobdesk.client.store import Change, JobStore
from jobdesk.client.watcher import WatchState
from jobdesk.protocol import Job, Status
from jobdesk.protocol.rest import Snapshot

NOW = datetime(2026, 11, 22, 10, 5, 0, tzinfo=UTC)


def job(name: str, status: Status, created: str, **fields: object) -> Job:
    stamp = f"2026-11-22T10:0{created}.000Z"
    base = Job(
        id=f"job_{name}",
        name=name,
        status=status,
        created_at=stamp,
        updated_at=stamp,
        finished_at=stamp if not status.is_active else None,
    )
    return msgspec.structs.replace(base, **fields)


def store_of(*jobs: Job) -> JobStore:
    store = JobStore()
    store.load(Snapshot(epoch="e", seq=9, jobs=list(jobs)))
    return store


def text_of(renderable: RenderableType, width: int = 150) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


def test_active_jobs_come_first_then_the_newest_finished() -> None:
    store = store_of(
        job("old-done", Status.COMPLETED, "1:00", progress=100),
        job("new-done", Status.FAILED, "3:00", error="disk full", message="copying"),
        job("second", Status.RUNNING, "2:00", progress=40, owner="w-1"),
        job("first", Status.QUEUED, "0:30"),
    )
    text = text_of(render_table(store, "t", WatchState.LIVE, now=NOW, max_rows=10))
    order = [text.index(name) for name in ("first", "second", "new-done", "old-done")]
    assert order == sorted(order)
    assert "disk full" in text  # a failed job shows its error, not its last status line
    assert "40%" in text
    assert "w-1" in text
    assert "1 queued  1 running  1 completed  1 failed" in text
    assert "live" in text


def test_stale_jobs_are_flagged_and_ages_counted() -> None:
    store = store_of(job("stuck", Status.RUNNING, "0:00", stale=True))
    text = text_of(render_table(store, "t", WatchState.LIVE, now=NOW, max_rows=10))
    assert "running stale" in text
    assert "5m ago" in text


def test_rows_beyond_the_screen_are_counted_not_drawn() -> None:
    store = store_of(*(job(f"j{i}", Status.RUNNING, f"0:0{i}") for i in range(6)))
    text = text_of(render_table(store, "t", WatchState.LIVE, now=NOW, max_rows=4))
    assert "j3" in text
    assert "j4" not in text
    assert "... and 2 more" in text


def test_a_narrow_terminal_drops_type_and_owner() -> None:
    store = store_of(job("a", Status.RUNNING, "0:00", owner="someone", job_type="llm_agent"))
    text = text_of(render_table(store, "t", WatchState.LIVE, now=NOW, max_rows=5, wide=False), 80)
    assert "someone" not in text
    assert "llm_agent" not in text
    assert "running" in text


def test_json_lines_have_exactly_the_documented_keys() -> None:
    out, err = io.StringIO(), io.StringIO()
    view = JsonLinesView(out, err)
    running = job("a", Status.RUNNING, "0:00", progress=12.5, message="m")
    store = store_of(running)
    view.changed(store, [Change("job_a", running, 9), Change("job_gone", None, 10)])
    (line,) = out.getvalue().splitlines()  # a removal prints nothing
    assert json.loads(line) == {
        "id": "job_a",
        "name": "a",
        "status": "running",
        "progress": 12.5,
        "message": "m",
        "updatedAt": "2026-11-22T10:00:00.000Z",
        "seq": 9,
    }


def test_connection_lines_are_printed_once_per_change() -> None:
    err = io.StringIO()
    states = StateReporter(err)
    states.report(WatchState.CONNECTING, "ws://x")
    for _ in range(3):
        states.report(WatchState.DISCONNECTED, "connection refused; reconnecting in 5 s")
        states.report(WatchState.CONNECTING, "ws://x")
    states.report(WatchState.LIVE, "http://x")
    assert err.getvalue().splitlines() == [
        "jobdesk: connecting: ws://x",
        "jobdesk: disconnected: connection refused; reconnecting in 5 s",
        "jobdesk: live: http://x",
    ]
