"""The job table model over a real JobStore: batches, blocks, order, filters, staleness."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QAbstractItemView, QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from jobdesk.core.store import JobStore
from jobdesk.gui.models import Column, JobTableModel, Role, StatusFilter
from jobdesk.gui.models.columns import SORT_VALUES
from jobdesk.gui.models.job_table import RELEASE_AFTER
from jobdesk.gui.models.pending import BULK
from jobdesk.protocol import Status
from tests.gui.job_model_helpers import (
    NOW_EPOCH,
    SERVER,
    job,
    remove,
    shown_ids,
    shown_keys,
    store_with,
    update,
)

ASCENDING = Qt.SortOrder.AscendingOrder
DESCENDING = Qt.SortOrder.DescendingOrder

MakeModel = Callable[..., JobTableModel]


@pytest.fixture
def make_model(qtbot: QtBot) -> Iterator[MakeModel]:
    """A model over ``store``, its first rows applied; detached after the test."""
    made: list[JobTableModel] = []

    def make(store: JobStore, **options: Any) -> JobTableModel:
        options.setdefault("clock", lambda: NOW_EPOCH + 5)
        model = JobTableModel(store, **options)
        made.append(model)
        settle(qtbot, model)
        return model

    yield make
    for model in made:
        model.detach()


def settle(qtbot: QtBot, model: JobTableModel) -> None:
    """Wait until the model has applied everything the store told it."""
    qtbot.waitUntil(lambda: model.pending() == 0, timeout=5000)


class Signals:
    """How often each of a model's change signals was emitted."""

    def __init__(self, model: JobTableModel) -> None:
        self.counts: dict[str, int] = {}
        self.data_ranges: list[tuple[int, int]] = []
        names = ("rowsInserted", "rowsRemoved", "layoutChanged", "modelReset", "batch_applied")
        for name in names:
            self.counts[name] = 0
            getattr(model, name).connect(lambda *_, name=name: self._count(name))
        model.dataChanged.connect(
            lambda top, bottom, *_: self.data_ranges.append((top.row(), bottom.row()))
        )

    def _count(self, name: str) -> None:
        self.counts[name] += 1


# --- the model as Qt sees it -------------------------------------------------------------


@pytest.mark.parametrize("python_tester", [False, True], ids=["qt-tester", "python-tester"])
def test_the_model_passes_the_model_tester_through_every_kind_of_change(
    qtbot: QtBot, qtmodeltester: ModelTester, make_model: MakeModel, python_tester: bool
) -> None:
    statuses = list(Status)
    store = store_with(
        [
            job(f"j{n:02d}", status=statuses[n % 6], progress=n * 3 % 100, metadata={"n": n})
            for n in range(40)
        ]
    )
    model = make_model(store, batch_ms=0)
    model.sort(Column.PROGRESS, ASCENDING)
    check: Callable[..., None] = qtmodeltester.check  # pytest-qt leaves it unannotated
    check(model, force_py=python_tester)

    update(store, *(job(f"j{n:02d}", version=2, progress=99 - n) for n in range(0, 40, 3)))
    update(store, *(job(f"new{n}", progress=n * 7 % 100) for n in range(12)))
    update(store, job("one-more", progress=50))
    remove(store, *(f"j{n:02d}" for n in range(1, 40, 4)))
    remove(store, "new3")
    settle(qtbot, model)
    model.sort(Column.NAME, DESCENDING)
    model.sort(Column.NAME, ASCENDING)
    model.set_search("j1")
    model.set_status_filter(StatusFilter.ACTIVE)
    model.set_search("")
    model.set_status_filter(StatusFilter.ALL)
    model.refresh_staleness()
    assert model.rowCount() == 40 + 13 - 10 - 1


def test_headers_flags_and_an_invalid_index() -> None:
    store = store_with([job("a")])
    model = JobTableModel(store, age_refresh_ms=0)
    model.flush()
    horizontal = Qt.Orientation.Horizontal
    headers = [model.headerData(c, horizontal, Qt.ItemDataRole.DisplayRole) for c in Column]
    assert headers == [
        "Name", "Type", "Status", "Progress", "Message", "Owner", "Priority", "Updated", "Server"
    ]  # fmt: skip
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsSelectable
    assert model.flags(QModelIndex()) == Qt.ItemFlag.NoItemFlags
    assert model.data(QModelIndex(), Qt.ItemDataRole.DisplayRole) is None
    assert model.rowCount(model.index(0, 0)) == 0
    model.detach()


def test_the_status_shows_attempts_when_a_job_may_retry(qtbot: QtBot) -> None:
    store = store_with(
        [
            job("once", status=Status.RUNNING, attempts=1),
            job("again", status=Status.RETRYING, attempts=2, max_attempts=3),
            job("fresh", status=Status.QUEUED, max_attempts=3),
            job("first", status=Status.RUNNING, attempts=1, max_attempts=3),
            job("second", status=Status.RUNNING, attempts=2, max_attempts=3),
            job("done", status=Status.COMPLETED, attempts=1, max_attempts=3),
        ]
    )
    model = JobTableModel(store, age_refresh_ms=0)
    model.flush()

    def status(job_id: str) -> str:
        row = model.row_of_key((SERVER, job_id))
        assert row is not None
        return str(model.data(model.index(row, Column.STATUS), Qt.ItemDataRole.DisplayRole))

    assert (status("once"), status("again"), status("fresh")) == (
        "running",
        "retrying 2/3",
        "queued",  # no attempt made yet: nothing to count
    )
    assert (status("first"), status("second"), status("done")) == (
        "running",  # a first try says nothing
        "running 2/3",
        "completed",  # not "completed 1/3" on every finished row
    )
    model.detach()


# --- batching and coalescing -------------------------------------------------------------


def test_updates_within_one_interval_are_applied_as_one_batch_and_the_last_state_wins(
    qtbot: QtBot, make_model: MakeModel
) -> None:
    store = store_with([job(f"j{n}", progress=n) for n in range(10)])
    model = make_model(store, batch_ms=500)  # the updates below take a few ms
    model.sort(Column.PROGRESS, ASCENDING)
    signals = Signals(model)
    with qtbot.waitSignal(model.batch_applied, timeout=5000) as batch:
        for version in range(2, 102):
            update(store, job("j0", version=version, progress=version % 100, message=f"v{version}"))
        for n in range(1, 10):
            update(store, job(f"j{n}", version=2, progress=100 - n))
        assert model.job((SERVER, "j0")) is not None
        assert model.job((SERVER, "j0")).version == 1  # type: ignore[union-attr]
    assert batch.args == [10]  # ten jobs changed: ten changes, however many updates
    assert signals.counts["batch_applied"] == 1
    assert signals.counts["layoutChanged"] == 1
    assert signals.counts["rowsInserted"] == signals.counts["rowsRemoved"] == 0
    last = model.job((SERVER, "j0"))
    assert last is not None
    assert (last.version, last.progress, last.message) == (101, 1.0, "v101")
    row = model.row_of_key((SERVER, "j0"))
    assert row == 0  # progress 1 sorts first
    assert model.index(row, Column.MESSAGE).data() == "v101"


def test_a_job_updated_a_thousand_times_is_one_row_change(
    qtbot: QtBot, make_model: MakeModel
) -> None:
    store = store_with([job(f"j{n}", progress=n) for n in range(5)])
    model = make_model(store, batch_ms=500)
    signals = Signals(model)
    with qtbot.waitSignal(model.batch_applied, timeout=5000) as batch:
        for version in range(2, 1002):
            update(store, job("j3", version=version, message=f"step {version}"))
    assert batch.args == [1]
    row = model.row_of_key((SERVER, "j3"))
    assert row is not None
    assert signals.data_ranges == [(row, row)]
    assert signals.counts["layoutChanged"] == 0  # the message does not move it
    assert model.index(row, Column.MESSAGE).data() == "step 1001"


def test_a_thousand_new_jobs_arrive_in_a_handful_of_blocks(
    qtbot: QtBot, make_model: MakeModel
) -> None:
    store = store_with([job(f"old{n:04d}", progress=(n * 37) % 100) for n in range(1000)])
    model = make_model(store)
    model.sort(Column.PROGRESS, ASCENDING)
    signals = Signals(model)
    for chunk in range(10):
        update(
            store,
            *(
                job(f"new{n:04d}", progress=(n * 53) % 100)
                for n in range(chunk * 100, chunk * 100 + 100)
            ),
        )
    settle(qtbot, model)
    assert model.rowCount() == 2000
    assert 1 <= signals.counts["rowsInserted"] <= 3
    progress = [model.index(row, 0).data(Role.PROGRESS) for row in range(2000)]
    assert progress == sorted(progress)


def test_an_empty_table_takes_its_first_jobs_as_one_block(
    qtbot: QtBot, make_model: MakeModel
) -> None:
    store = JobStore()
    model = make_model(store)
    signals = Signals(model)
    store.apply(SERVER, epoch="e", jobs=[job(f"j{n:04d}") for n in range(1000)], replace=True)
    settle(qtbot, model)
    assert model.rowCount() == 1000
    assert signals.counts["rowsInserted"] == 1
    assert signals.counts["layoutChanged"] == 0


def test_a_thousand_removals_leave_in_a_handful_of_blocks(
    qtbot: QtBot, make_model: MakeModel
) -> None:
    store = store_with([job(f"j{n:04d}", progress=(n * 37) % 100) for n in range(2000)])
    model = make_model(store)
    model.sort(Column.PROGRESS, DESCENDING)
    signals = Signals(model)
    remove(store, *(f"j{n:04d}" for n in range(0, 2000, 2)))
    settle(qtbot, model)
    assert signals.counts["rowsRemoved"] <= 2
    assert sorted(shown_ids(model)) == [f"j{n:04d}" for n in range(1, 2000, 2)]
    progress = [model.index(row, 0).data(Role.PROGRESS) for row in range(1000)]
    assert progress == sorted(progress, reverse=True)


def test_a_few_changes_are_made_in_place_without_a_layout_change(
    qtbot: QtBot, make_model: MakeModel
) -> None:
    store = store_with([job(f"j{n}", progress=n * 10) for n in range(6)])
    model = make_model(store)
    model.sort(Column.PROGRESS, ASCENDING)
    signals = Signals(model)
    remove(store, "j2")
    update(store, job("new", progress=35))
    settle(qtbot, model)
    assert signals.counts == {
        "rowsInserted": 1,
        "rowsRemoved": 1,
        "layoutChanged": 0,
        "modelReset": 0,
        "batch_applied": 1,
    }
    assert shown_ids(model) == ["j0", "j1", "j3", "new", "j4", "j5"]


def test_a_job_leaving_the_filter_leaves_the_table(qtbot: QtBot, make_model: MakeModel) -> None:
    store = store_with([job("a"), job("b")])
    model = make_model(store)
    model.set_status_filter(StatusFilter.ACTIVE)
    update(store, job("a", version=2, status=Status.COMPLETED))
    settle(qtbot, model)
    assert shown_ids(model) == ["b"]
    update(store, job("a", version=3, status=Status.RETRYING))
    settle(qtbot, model)
    assert shown_ids(model) == ["a", "b"]


# --- staleness and time ------------------------------------------------------------------


def test_rows_of_a_server_that_is_not_live_are_greyed_and_say_how_old_they_are(
    qtbot: QtBot, make_model: MakeModel
) -> None:
    store = store_with([job("a")], server="up")
    store.apply("down", epoch="e", jobs=[job("b")], replace=True, now=NOW_EPOCH - 180)
    store.apply("never", epoch="e", jobs=[job("c")], replace=True)
    live = {"up": True, "down": False, "never": False}
    model = make_model(store, is_live=lambda server: live[server], clock=lambda: NOW_EPOCH + 5)

    def cell(key: tuple[str, str], role: int) -> Any:
        row = model.row_of_key(key)
        assert row is not None
        return model.index(row, Column.NAME).data(role)

    greyed = QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    foreground = cell(("down", "b"), Qt.ItemDataRole.ForegroundRole)
    assert isinstance(foreground, QBrush)
    assert foreground.color() == greyed
    assert cell(("down", "b"), Role.UNTRUSTED) is True
    assert cell(("down", "b"), Qt.ItemDataRole.ToolTipRole) == (
        "b\ndown is not live: this row was last confirmed 3 min ago"
    )
    assert "never confirmed" in cell(("never", "c"), Qt.ItemDataRole.ToolTipRole)
    assert cell(("up", "a"), Qt.ItemDataRole.ForegroundRole) is None
    assert cell(("up", "a"), Role.UNTRUSTED) is False
    assert cell(("up", "a"), Qt.ItemDataRole.ToolTipRole) == "a"

    live["down"] = True
    with qtbot.waitSignal(model.dataChanged, timeout=1000) as changed:
        model.refresh_staleness()
    top, bottom = changed.args[0], changed.args[1]
    assert (top.row(), bottom.row(), bottom.column()) == (0, 2, Column.SERVER)
    assert cell(("down", "b"), Qt.ItemDataRole.ForegroundRole) is None


def test_the_updated_column_reads_how_long_ago_and_keeps_counting(
    qtbot: QtBot, make_model: MakeModel
) -> None:
    now = [NOW_EPOCH + 5]
    store = store_with([job("a", updated_at="2026-11-22T09:57:00.000Z")])
    model = make_model(store, clock=lambda: now[0], age_refresh_ms=20)
    cell = model.index(0, Column.UPDATED)
    assert cell.data() == "3 min ago"
    assert cell.data(Qt.ItemDataRole.ToolTipRole).startswith("Updated 2026-11-22 ")
    now[0] += 3 * 3600
    with qtbot.waitSignal(
        model.dataChanged,
        timeout=2000,
        check_params_cb=lambda top, bottom, roles: top.column() == Column.UPDATED,
    ):
        pass
    assert cell.data() == "3 h ago"


# --- search, filters, counts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RENDER", ["frames"]),  # name, any case
        ("job-7", ["thumbs"]),  # id
        ("disk", ["mail"]),  # message
        ("gpu", ["frames"]),  # a metadata value
        ("customer", ["mail"]),  # a metadata key
        ("acme", ["mail"]),  # a nested metadata value
        ("render gpu", ["frames"]),  # every word must match
        ("render nothing", []),
        ("", ["frames", "mail", "thumbs"]),
    ],
)
def test_search_matches_name_id_message_and_metadata(
    make_model: MakeModel, text: str, expected: list[str]
) -> None:
    store = store_with(
        [
            job("frames", name="Render frames", metadata={"queue": "gpu"}),
            job(
                "mail",
                name="Send mail",
                message="disk 2 is slow",
                metadata={"customer": {"org": "ACME"}},
            ),
            job("thumbs", name="Thumbnails", metadata={"id": "job-7"}),
        ]
    )  # fmt: skip
    model = make_model(store)
    model.sort(Column.NAME, ASCENDING)
    model.set_search(text)
    assert model.search() == text
    assert sorted(shown_ids(model)) == expected


def test_status_filters_and_the_counts_for_the_status_bar(
    qtbot: QtBot, make_model: MakeModel
) -> None:
    statuses = [Status.QUEUED, Status.RUNNING, Status.RETRYING, Status.COMPLETED]
    statuses += [Status.FAILED, Status.CANCELLED, Status.RUNNING]
    store = store_with([job(f"j{n}", status=status) for n, status in enumerate(statuses)])
    model = make_model(store)
    shown = {}
    for kind in StatusFilter:
        model.set_status_filter(kind)
        shown[kind] = sorted(shown_ids(model))
    assert shown == {
        StatusFilter.ACTIVE: ["j0", "j1", "j2", "j6"],
        StatusFilter.STALE: [],
        StatusFilter.COMPLETED: ["j3"],
        StatusFilter.FAILED: ["j4", "j5"],
        StatusFilter.ALL: [f"j{n}" for n in range(7)],
    }
    counts = model.counts()
    assert [counts.of(kind) for kind in StatusFilter] == [4, 0, 1, 2, 7]
    assert (counts.total, counts.shown) == (7, 7)
    assert model.state_counts() == {
        "queued": 1, "running": 2, "stale": 0, "retrying": 1, "completed": 1, "failed": 1,
        "cancelled": 1,
    }  # fmt: skip

    model.set_status_filter("failed")
    assert model.status_filter() is StatusFilter.FAILED
    with qtbot.waitSignal(model.counts_changed, timeout=5000):
        update(store, job("j1", version=2, status=Status.FAILED))
    assert model.counts().of(StatusFilter.FAILED) == 3
    assert model.counts().shown == 3


# --- sorting and selection ---------------------------------------------------------------


def test_sorting_by_progress_and_by_name_both_ways(make_model: MakeModel) -> None:
    store = store_with(
        [
            job("a", name="beta", progress=50),
            job("b", name="Alpha", progress=10),
            job("c", name="gamma", progress=50),
            job("d", name="delta", progress=90),
        ]
    )
    model = make_model(store)
    model.sort(Column.PROGRESS, ASCENDING)
    assert shown_ids(model) == ["b", "a", "c", "d"]  # a tie falls by key
    model.sort(Column.PROGRESS, DESCENDING)
    assert shown_ids(model) == ["d", "c", "a", "b"]
    assert (model.sort_column(), model.sort_order()) == (Column.PROGRESS, DESCENDING)
    model.sort(Column.NAME, ASCENDING)
    assert shown_ids(model) == ["b", "a", "d", "c"]  # case-insensitive
    model.sort(Column.NAME, DESCENDING)
    assert shown_ids(model) == ["c", "d", "a", "b"]
    model.sort(-1, ASCENDING)
    assert shown_ids(model) == ["a", "b", "c", "d"]


@pytest.mark.parametrize("column", list(Column))
def test_every_column_sorts(make_model: MakeModel, column: Column) -> None:
    store = store_with([job(f"j{n}", progress=n, owner=f"o{9 - n}") for n in range(10)])
    model = make_model(store)
    model.sort(column, DESCENDING)
    model.sort(column, ASCENDING)
    assert sorted(shown_ids(model)) == [f"j{n}" for n in range(10)]
    assert model.sort_column() == column


def test_the_selection_and_current_row_follow_their_job_through_a_re_sort(
    qtbot: QtBot, make_model: MakeModel
) -> None:
    store = store_with([job(f"j{n:02d}", progress=n, name=f"n{99 - n}") for n in range(50)])
    model = make_model(store)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    model.sort(Column.PROGRESS, ASCENDING)
    selection = view.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for key in [(SERVER, "j10"), (SERVER, "j11"), (SERVER, "j30")]:
        selection.select(model.index(model.row_of_key(key) or 0, 0), flags)
    selection.setCurrentIndex(
        model.index(model.row_of_key((SERVER, "j30")) or 0, Column.STATUS),
        QItemSelectionModel.SelectionFlag.NoUpdate,
    )

    def selected() -> list[tuple[str, str] | None]:
        return sorted(
            (model.key_of_row(index.row()) for index in selection.selectedRows()),
            key=str,
        )

    before = selected()
    update(store, job("j10", version=2, progress=95), job("j30", version=2, progress=0.5))
    update(store, *(job(f"new{n}", progress=n * 2) for n in range(20)))
    remove(store, *(f"j{n:02d}" for n in range(40, 50)))
    settle(qtbot, model)
    assert model.row_of_key((SERVER, "j30")) == 2  # after j00 and new0, both at 0
    assert selected() == before == [(SERVER, "j10"), (SERVER, "j11"), (SERVER, "j30")]
    current = view.currentIndex()
    assert (model.key_of_row(current.row()), current.column()) == ((SERVER, "j30"), Column.STATUS)

    model.sort(Column.NAME, DESCENDING)
    assert selected() == before
    assert model.key_of_row(view.currentIndex().row()) == (SERVER, "j30")
    model.set_search("j1")
    assert selected() == [(SERVER, "j10"), (SERVER, "j11")]
    assert not view.currentIndex().isValid()


def test_rows_and_keys_map_both_ways(make_model: MakeModel) -> None:
    store = store_with([job("a", progress=3), job("b", progress=1), job("c", progress=2)])
    model = make_model(store)
    model.sort(Column.PROGRESS, DESCENDING)
    assert [model.key_of_row(row) for row in range(-1, 4)] == [
        None, (SERVER, "a"), (SERVER, "c"), (SERVER, "b"), None
    ]  # fmt: skip
    assert model.row_of_key((SERVER, "b")) == 2
    assert model.row_of_key((SERVER, "zz")) is None
    assert shown_keys(model) == [(SERVER, "a"), (SERVER, "c"), (SERVER, "b")]


# --- data() called from C++ a hundred thousand times -------------------------------------

ROLES_WITHOUT_A_VALUE = [
    Qt.ItemDataRole.CheckStateRole,
    Qt.ItemDataRole.SizeHintRole,
    Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.EditRole,
    Qt.ItemDataRole.UserRole + 500,
]


def test_a_hundred_thousand_data_calls_through_qmodelindex_return_the_right_values(
    make_model: MakeModel,
) -> None:
    """PySide6 6.12.0 on Python 3.11 aborted with "deallocating None" after a few
    thousand data() calls from C++ answering None; this asks 100,000 times, through
    ``QModelIndex.data`` (so through C++), for roles with and without a value."""
    statuses = list(Status)
    store = store_with(
        [job(f"j{n:03d}", status=statuses[n % 6], progress=n, message=f"m{n}") for n in range(100)]
    )
    store.apply("down", epoch="e", jobs=[job("x")], replace=True, now=NOW_EPOCH)
    model = make_model(store, is_live=lambda server: server != "down")
    model.sort(Column.PROGRESS, ASCENDING)
    indexes = [model.index(row, column) for row in range(101) for column in Column]
    roles: list[int] = [
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.StatusTipRole,
        Role.KEY,
        Role.JOB,
        Role.PROGRESS,
        Role.UNTRUSTED,
        *ROLES_WITHOUT_A_VALUE,
    ]
    calls = 0
    nones = 0
    while calls < 100_000:
        index = indexes[calls % len(indexes)]
        role = roles[(calls // len(indexes) + calls) % len(roles)]
        value = index.data(role)
        calls += 1
        key = model.key_of_row(index.row())
        assert key is not None
        shown = model.job(key)
        assert shown is not None
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            assert isinstance(value, str)
            if column == Column.NAME:
                assert value == shown.name
            elif column == Column.PROGRESS:
                assert value == f"{shown.progress:.0f}%"
        elif role == Qt.ItemDataRole.DecorationRole:
            assert isinstance(value, QIcon) if column == Column.STATUS else value is None
        elif role == Qt.ItemDataRole.ForegroundRole:
            assert isinstance(value, QBrush) if key[0] == "down" else value is None
        elif role == Qt.ItemDataRole.BackgroundRole:
            assert isinstance(value, QBrush)
        elif role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.StatusTipRole):
            assert isinstance(value, str)
        elif role == Qt.ItemDataRole.TextAlignmentRole:
            assert isinstance(value, int)
        elif role == Role.KEY:
            assert value == key
        elif role == Role.JOB:
            assert value is shown
        elif role == Role.PROGRESS:
            assert value == shown.progress
        elif role == Role.UNTRUSTED:
            assert value is (key[0] == "down")
        else:
            assert value is None
            nones += 1
    assert calls == 100_000
    assert nones > 20_000  # the roles without a value were asked for too


# --- large loads ---------------------------------------------------------------------------


def test_a_snapshot_sized_change_does_not_wait_for_the_batch_timer(qtbot: QtBot) -> None:
    """A store call of BULK changes is a batch already: applied at once, with whatever
    small changes were waiting for the timer (a minute here)."""
    store = store_with([])
    model = JobTableModel(store, batch_ms=60_000, age_refresh_ms=0)
    try:
        update(store, job("waiting"))
        store.apply(SERVER, epoch="e", jobs=[job(f"j{n:05d}") for n in range(BULK)])
        qtbot.waitUntil(lambda: model.rowCount() == BULK + 1, timeout=5000)
        assert model.pending() == 0
    finally:
        model.detach()


def test_free_memory_is_released_once_a_large_backlog_is_applied(qtbot: QtBot) -> None:
    released: list[int] = []
    store = store_with([])
    model = JobTableModel(
        store, age_refresh_ms=0, release_memory=lambda: released.append(model.rowCount())
    )
    try:
        update(store, *[job(f"small-{n}") for n in range(100)])
        settle(qtbot, model)
        store.apply(SERVER, epoch="e", jobs=[job(f"j{n:05d}") for n in range(RELEASE_AFTER)])
        qtbot.waitUntil(lambda: bool(released), timeout=10_000)
        # once, after the last slice: the small batch before it released nothing
        assert released == [RELEASE_AFTER + 100]
    finally:
        model.detach()


def test_text_columns_sort_case_insensitively_without_a_copy_of_lower_case_text() -> None:
    lower, mixed = job("a", name="render shot 7"), job("b", name="Render Shot 8")
    sort_name = SORT_VALUES[Column.NAME]
    assert sort_name(lower, (SERVER, "a")) is lower.name
    assert sort_name(mixed, (SERVER, "b")) == "render shot 8"
