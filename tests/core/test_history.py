"""The history's Qt-free parts: the bounded rows, typed time bounds, durations."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from jobdesk.core.history import (
    HistoryFilter,
    HistoryRows,
    RowsChange,
    duration_text,
    moment_bound,
    run_seconds,
)
from jobdesk.protocol import JobSummary, Status

T0 = "2026-12-02T05:00:00.000Z"


def job(n: int, **fields: object) -> JobSummary:
    values: dict[str, object] = {"created_at": T0, "updated_at": T0, **fields}
    return JobSummary(id=f"job_{n}", name=f"job {n}", **values)  # type: ignore[arg-type]


def ids(rows: HistoryRows) -> list[str]:
    return [j.id for j in rows]


def test_older_pages_append_and_the_newest_go_past_the_cap() -> None:
    rows = HistoryRows(cap=5)
    changes: list[RowsChange] = []
    rows.subscribe(changes.append)
    rows.reset([job(n) for n in (9, 8, 7)])
    assert changes == [RowsChange(reset=True)]
    assert rows.extend([job(6), job(5)]) == RowsChange(added=2)
    assert not rows.capped
    assert rows.extend([job(4), job(3), job(2)]) == RowsChange(dropped=3, added=3)
    assert ids(rows) == ["job_6", "job_5", "job_4", "job_3", "job_2"]
    assert rows.capped
    assert rows.dropped == 3
    assert rows.row_of("job_4") == 2
    assert rows.row_of("job_9") is None  # let go: no longer known
    rows.reset([job(1)])
    assert (ids(rows), rows.dropped, rows.capped) == (["job_1"], 0, False)


def test_a_job_already_shown_is_not_shown_twice() -> None:
    rows = HistoryRows(cap=10)
    rows.reset([job(3), job(2)])
    change = rows.extend([job(2), job(1), job(1)])
    assert change == RowsChange(added=1)
    assert ids(rows) == ["job_3", "job_2", "job_1"]
    assert rows.extend([job(1)]) == RowsChange()  # nothing new: nothing told


def test_newer_states_of_shown_jobs_take_their_places() -> None:
    rows = HistoryRows(cap=10)
    rows.reset([job(3, status=Status.RUNNING, version=4), job(2), job(1)])
    changes: list[RowsChange] = []
    rows.subscribe(changes.append)
    done = job(3, status=Status.COMPLETED, version=5)
    assert rows.refresh([job(9), job(1, version=1), done]) == (0,)
    assert rows.jobs[0] is done
    assert changes == [RowsChange(updated=(0,))]
    assert rows.refresh([job(3, status=Status.RUNNING, version=4)]) == ()  # older: kept
    assert ids(rows) == ["job_3", "job_2", "job_1"]  # a job not shown is not added
    assert len(changes) == 1


def test_a_page_larger_than_the_cap_keeps_its_oldest() -> None:
    rows = HistoryRows(cap=2)
    rows.reset([job(n) for n in (5, 4, 3)])
    assert (ids(rows), rows.dropped) == (["job_4", "job_3"], 1)
    assert rows.extend([job(2), job(1), job(0)]) == RowsChange(dropped=2, added=2)
    assert (ids(rows), rows.dropped) == (["job_1", "job_0"], 4)
    with pytest.raises(ValueError, match="at least one"):
        HistoryRows(cap=0)


PLUS_TWO = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("text", "end", "wire"),
    [
        ("", False, None),
        ("   ", True, None),
        ("2026-12-01", False, "2026-11-30T22:00:00.000Z"),
        ("2026-12-01", True, "2026-12-01T22:00:00.000Z"),  # the whole day, to its end
        ("2026-12-01 14:30", True, "2026-12-01T12:30:00.000Z"),
        ("2026-12-01T14:30:05", False, "2026-12-01T12:30:05.000Z"),
        ("2026-12-01T14:30:05Z", False, "2026-12-01T14:30:05.000Z"),  # a zone given
        ("2026-12-01 14:30+01:00", False, "2026-12-01T13:30:00.000Z"),
    ],
)
def test_typed_times_become_wire_bounds(text: str, end: bool, wire: str | None) -> None:
    assert moment_bound(text, end=end, zone=PLUS_TWO) == wire


def test_a_time_that_cannot_be_read_names_the_forms() -> None:
    with pytest.raises(ValueError, match=r"'yesterday' is not a date or time \(YYYY-MM-DD"):
        moment_bound("yesterday")


def test_run_time_from_start_or_creation_to_the_end() -> None:
    ran = job(
        1,
        status=Status.COMPLETED,
        created_at="2026-12-02T05:00:00.000Z",
        started_at="2026-12-02T05:01:00.000Z",
        finished_at="2026-12-02T05:04:05.500Z",
    )
    assert run_seconds(ran) == 185.5
    never_started = job(2, status=Status.CANCELLED, finished_at="2026-12-02T05:00:02.000Z")
    assert run_seconds(never_started) == 2.0
    assert run_seconds(job(3, status=Status.RUNNING)) is None
    assert [duration_text(s) for s in (None, 0.42, 12.4, 185.5, 8040, 3 * 86400 + 4 * 3600)] == [
        "",
        "0.4 s",
        "12 s",
        "3 min 06 s",
        "2 h 14 min",
        "3 d 4 h",
    ]


def test_the_filter_in_a_few_words() -> None:
    assert HistoryFilter().describe() == ""
    wanted = HistoryFilter(status="failed", job_type="render", text="disk")
    assert wanted.describe() == 'failed · type render · "disk"'
