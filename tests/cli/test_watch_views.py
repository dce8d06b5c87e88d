"""The two watch views and the stderr lines, fed by hand: what the table shows, what a
JSON line holds, and which connection states are printed."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime

import msgspec
import pytest
from rich.console import Console, RenderableType

from jobdesk.cli.watch_filter import job_test, status_words
from jobdesk.cli.watch_json import JsonLinesView
from jobdesk.cli.watch_state import StateReporter
from jobdesk.cli.watch_table import render_table
from jobdesk.core.away import AwaySummary, StateChange
from jobdesk.core.connection import ConnectionState, Transport
from jobdesk.core.store import JobStore, ServerJobs
from jobdesk.protocol import Job, Status

NOW = datetime(2026, 11, 22, 10, 5, 0, tzinfo=UTC)
LIVE = ConnectionState(Transport.LIVE)


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


def view_of(*jobs: Job, confirmed_at: float | None = None) -> ServerJobs:
    return ServerJobs(jobs={j.id: j for j in jobs}, epoch="e", seq=9, confirmed_at=confirmed_at)


def unexpected(error: OSError) -> None:
    raise AssertionError(f"the view reported {error!r}")


def text_of(renderable: RenderableType, width: int = 150) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


def test_active_jobs_come_first_then_the_newest_finished() -> None:
    view = view_of(
        job("old-done", Status.COMPLETED, "1:00", progress=100),
        job("new-done", Status.FAILED, "3:00", error="disk full", message="copying"),
        job("second", Status.RUNNING, "2:00", progress=40, owner="w-1"),
        job("first", Status.QUEUED, "0:30"),
    )
    text = text_of(render_table(view, "t", LIVE, now=NOW, max_rows=10))
    order = [text.index(name) for name in ("first", "second", "new-done", "old-done")]
    assert order == sorted(order)
    assert "disk full" in text  # a failed job shows its error, not its last status line
    assert "40%" in text
    assert "w-1" in text
    assert "1 queued  1 running  1 completed  1 failed" in text
    assert "live" in text


def test_stale_jobs_are_flagged_and_ages_counted() -> None:
    view = view_of(job("stuck", Status.RUNNING, "0:00", stale=True))
    text = text_of(render_table(view, "t", LIVE, now=NOW, max_rows=10))
    assert "running stale" in text
    assert "5m ago" in text


def test_rows_beyond_the_screen_are_counted_not_drawn() -> None:
    view = view_of(*(job(f"j{i}", Status.RUNNING, f"0:0{i}") for i in range(6)))
    text = text_of(render_table(view, "t", LIVE, now=NOW, max_rows=4))
    assert "j3" in text
    assert "j4" not in text
    assert "... and 2 more" in text


def test_a_narrow_terminal_drops_type_and_owner() -> None:
    view = view_of(job("a", Status.RUNNING, "0:00", owner="someone", job_type="llm_agent"))
    text = text_of(render_table(view, "t", LIVE, now=NOW, max_rows=5, wide=False), 80)
    assert "someone" not in text
    assert "llm_agent" not in text
    assert "running" in text


def test_the_title_says_live_or_how_old_the_data_is() -> None:
    view = view_of(job("a", Status.RUNNING, "0:00"), confirmed_at=NOW.timestamp() - 42)
    live = text_of(render_table(view, "t", LIVE, now=NOW, max_rows=5))
    assert "live" in live
    assert "data as of" not in live
    polling = ConnectionState(Transport.POLLING, NOW.timestamp() + 7)
    text = text_of(render_table(view, "t", polling, now=NOW, max_rows=5))
    assert "polling" in text
    assert "data as of 42s ago" in text
    offline = ConnectionState(Transport.OFFLINE, detail="connection refused")
    assert "unreachable" in text_of(render_table(view, "t", offline, now=NOW, max_rows=5))
    on_replica = ConnectionState(Transport.LIVE, via="10.0.0.2:8765")
    assert "live via 10.0.0.2:8765" in text_of(
        render_table(view, "t", on_replica, now=NOW, max_rows=5)
    )


def test_json_lines_have_exactly_the_documented_keys_and_the_stores_seq() -> None:
    out = io.StringIO()
    store = JobStore()
    store.subscribe(JsonLinesView(store, on_error=unexpected, out=out).changed)
    running = job("a", Status.RUNNING, "0:00", progress=12.5, message="m")
    store.apply("s", epoch="e", jobs=[running], seq=9, replace=True)
    store.apply("s", epoch="e", removed=["job_a"], seq=10)  # a removal prints nothing
    (line,) = out.getvalue().splitlines()
    assert json.loads(line) == {
        "id": "job_a",
        "name": "a",
        "status": "running",
        "progress": 12.5,
        "message": "m",
        "updatedAt": "2026-11-22T10:00:00.000Z",
        "seq": 9,
    }


def test_a_replayed_change_carries_the_seq_the_store_is_sure_of() -> None:
    out = io.StringIO()
    store = JobStore()
    store.subscribe(JsonLinesView(store, on_error=unexpected, out=out).changed)
    store.apply("s", epoch="e", seq=9, replace=True)
    store.apply("s", epoch="e", jobs=[job("a", Status.RUNNING, "0:00")])  # mid-replay: no seq
    store.apply("s", epoch="e", jobs=[job("b", Status.QUEUED, "0:00")], seq=12)
    assert [json.loads(line)["seq"] for line in out.getvalue().splitlines()] == [9, 12]


class ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_is_reported_once_not_raised_into_the_engine() -> None:
    errors: list[OSError] = []
    store = JobStore()
    store.subscribe(JsonLinesView(store, on_error=errors.append, out=ClosedPipe()).changed)
    store.apply("s", epoch="e", jobs=[job("a", Status.RUNNING, "0:00")], seq=1, replace=True)
    store.apply("s", epoch="e", jobs=[job("b", Status.RUNNING, "0:00")], seq=2)
    assert [type(e) for e in errors] == [BrokenPipeError]


def test_connection_lines_are_printed_once_per_change_without_connecting() -> None:
    err = io.StringIO()
    states = StateReporter(err, wall=lambda: 1000.0)
    states.report(ConnectionState(Transport.CONNECTING))
    for _ in range(2):
        states.report(ConnectionState(Transport.OFFLINE, 1003.2, "connection refused"))
        states.report(ConnectionState(Transport.CONNECTING))
    states.report(ConnectionState(Transport.POLLING, 1007.0))
    states.report(ConnectionState(Transport.LIVE))
    assert err.getvalue().splitlines() == [
        "jobdesk: unreachable (socket retry in 3 s): connection refused",
        "jobdesk: polling (socket retry in 7 s)",
        "jobdesk: live",
    ]


def test_the_away_summary_is_one_line() -> None:
    err = io.StringIO()
    changes = (
        StateChange("job_a", "a", Status.RUNNING, Status.COMPLETED),
        StateChange("job_b", "b", Status.RUNNING, Status.FAILED),
        StateChange("job_c", "c", None, Status.COMPLETED),
    )
    StateReporter(err).away(AwaySummary("s", changes))
    assert err.getvalue() == "jobdesk: while away: 2 completed, 1 failed\n"


def test_an_80_column_terminal_keeps_names_readable() -> None:
    name = "process contract-2026-03.pdf"  # 28 characters, a demo job's name
    view = view_of(job(name, Status.RUNNING, "1:00", progress=40, message="Extracting pages"))
    text = text_of(render_table(view, "t", LIVE, now=NOW, max_rows=5, wide=False), width=80)
    assert name in text
    assert "40%" in text


def test_status_words_choose_the_jobs_both_views_show() -> None:
    shown = job_test(status_words("failed,stale"))
    assert shown is not None
    jobs = [
        job("broken", Status.FAILED, "1:00"),
        job("stuck", Status.RUNNING, "2:00", stale=True),
        job("fine", Status.RUNNING, "3:00"),
        job("waiting", Status.QUEUED, "4:00"),
    ]
    text = text_of(render_table(view_of(*jobs), "t", LIVE, now=NOW, max_rows=10, shown=shown))
    assert [name for name in ("broken", "stuck", "fine", "waiting") if name in text] == [
        "broken",
        "stuck",
    ]
    store, out = JobStore(), io.StringIO()
    store.subscribe(JsonLinesView(store, on_error=unexpected, out=out, shown=shown).changed)
    store.apply("srv", epoch="e", jobs=jobs, seq=1, replace=True)
    assert [json.loads(line)["name"] for line in out.getvalue().splitlines()] == [
        "broken",
        "stuck",
    ]


def test_a_status_word_is_any_seeds_or_stale_and_nothing_else() -> None:
    assert status_words("Error, pending") == ["error", "pending"]
    with pytest.raises(argparse.ArgumentTypeError, match=r"unknown status 'paused'.*stale"):
        status_words("paused")
