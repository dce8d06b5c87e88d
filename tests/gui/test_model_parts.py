"""The Qt-free parts of the job table: coalescing, slice sizes, ages, search text."""

from __future__ import annotations

import pytest

from jobdesk.core.store import StoreChange
from jobdesk.gui.formatting import age_text, ago_text, epoch_of
from jobdesk.gui.models.filtering import StatusFilter, search_terms, searchable_text
from jobdesk.gui.models.pending import BULK, PendingChanges, SliceBudget
from jobdesk.gui.models.states import State, state_of
from jobdesk.protocol import Status
from tests.gui.job_model_helpers import NOW, NOW_EPOCH, job


def change(job_id: str, version: int | None) -> StoreChange:
    new = None if version is None else job(job_id, version=version)
    return StoreChange("srv", job_id, new, None)


def test_pending_changes_keep_only_each_jobs_latest_state() -> None:
    pending = PendingChanges()
    pending.add([change("a", 1), change("b", 1)])
    pending.add([change("a", 2), change("b", None), change("a", 3)])
    assert len(pending) == 2
    taken = pending.take(10)
    assert [(key[1], None if found is None else found.version) for key, found in taken] == [
        ("a", 3),
        ("b", None),
    ]
    assert not pending
    assert list(pending.take(10)) == []


def test_a_backlog_is_handed_out_in_slices_and_newer_states_overtake_it() -> None:
    pending = PendingChanges()
    pending.add([change(f"j{n}", 1) for n in range(10)])
    first = pending.take(4)
    assert [key[1] for key, _ in first] == ["j0", "j1", "j2", "j3"]
    pending.add([change("j5", 2), change("j0", 2)])  # j5 still waits, j0 was taken
    second = pending.take(4)
    assert [key[1] for key, _ in second] == ["j4", "j6", "j7", "j8"]  # j5's old state skipped
    third = pending.take(4)
    assert [(key[1], found and found.version) for key, found in third] == [
        ("j9", 1),
        ("j5", 2),
        ("j0", 2),
    ]
    assert len(pending) == 0


def test_a_large_batch_is_kept_as_it_came_and_read_in_order() -> None:
    pending = PendingChanges()
    snapshot = [change(f"s{n:04d}", 1) for n in range(BULK + 500)]
    pending.add([change("before", 1)])
    pending.add(snapshot)
    pending.add([change("s0001", 2), change("after", 1)])
    assert len(pending) == 1 + len(snapshot) + 2
    taken = [key[1] for key, _ in pending.take(3)]
    assert taken == ["before", "s0000", "s0002"]  # s0001's snapshot state is superseded
    rest = pending.take(10 * BULK)
    assert [key[1] for key, _ in rest[-3:]] == [f"s{BULK + 499:04d}", "s0001", "after"]
    assert len(taken) + len(rest) == 1 + len(snapshot) + 2 - 1
    assert not pending


def test_the_stores_jobs_are_the_first_changes_of_a_new_table() -> None:
    pending = PendingChanges()
    pending.add_jobs([(("srv", "a"), job("a")), (("srv", "b"), job("b"))])
    pending.add([change("a", 2)])
    assert [(key[1], found and found.version) for key, found in pending.take(9)] == [
        ("b", 1),
        ("a", 2),
    ]


def test_the_slice_budget_follows_the_measured_cost_per_change() -> None:
    budget = SliceBudget(0.020, first=1000, least=100)
    budget.record(300, 0.050)  # a partial slice over budget: shrink
    assert budget.limit == (1000 + 120) // 2
    budget.record(560, 0.005)  # a full slice well under budget: grow
    assert budget.limit == (560 + 2240) // 2
    before = budget.limit
    budget.record(10, 0.001)  # a small slice says nothing
    assert budget.limit == before
    budget.record(before, 10.0)  # a pause (garbage collection): never below the least
    assert budget.limit >= 100


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(-3, "0 s"), (4.4, "4 s"), (59, "59 s"), (61, "1 min"), (7200, "2 h"), (3 * 86400, "3 d")],
)
def test_ages_are_coarse(seconds: float, text: str) -> None:
    assert age_text(seconds) == text


def test_timestamps_are_read_once_and_bad_ones_say_so() -> None:
    assert epoch_of(NOW) == NOW_EPOCH
    assert ago_text(NOW, NOW_EPOCH + 90) == "1 min ago"
    assert ago_text("yesterday", NOW_EPOCH) == "?"


def test_the_searchable_text_holds_every_field_searched_and_nothing_more() -> None:
    text = searchable_text(
        job(
            "ID-1",
            name="Render",
            message="Half way",
            owner="alice",
            status=Status.FAILED,
            error="SMTP 550: mailbox unavailable",
            last_problem="Retrying after a greylisting delay",
            metadata={"Queue": "GPU", "tags": ["a", {"deep": 7}], "empty": None},
        ),
        "demo-server",
    )
    words = ("render", "id-1", "half way", "queue", "gpu", "tags", "deep", "7", "empty")
    columns = ("alice", "failed", "smtp 550", "medium", "demo-server", "generic", "greylisting")
    for word in words + columns:  # every visible column's text is searched, and the error
        assert word in text
    assert "none" not in text  # a null value is no word
    assert search_terms("  Render   GPU ") == ("render", "gpu")


def test_status_filters_name_their_states() -> None:
    assert StatusFilter.FAILED.states == {State.FAILED, State.CANCELLED}
    active = {State.QUEUED, State.RUNNING, State.STALE, State.RETRYING}
    assert StatusFilter("active").states == active
    assert StatusFilter.STALE.states == {State.STALE}
    assert StatusFilter.ALL.states == set(State)


def test_a_stale_active_job_is_in_the_stale_state_and_a_finished_one_is_not() -> None:
    assert state_of(job("a", status=Status.RUNNING, stale=True)) is State.STALE
    assert state_of(job("b", status=Status.RETRYING, stale=True)) is State.STALE
    assert state_of(job("c", status=Status.RUNNING)) is State.RUNNING
    assert state_of(job("d", status=Status.FAILED, stale=True)) is State.FAILED
