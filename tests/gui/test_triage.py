"""Stale as a state of its own, the triage order, and holding the order still."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from jobdesk.core.store import JobKey
from jobdesk.gui.models import Column, JobTableModel, StatusFilter
from jobdesk.gui.models.columns import TRIAGE
from jobdesk.gui.models.icons import state_icon
from jobdesk.gui.models.states import State
from jobdesk.protocol import Status
from tests.gui.job_model_helpers import NOW_EPOCH, SERVER, job, shown_ids, store_with, update

DISPLAY = Qt.ItemDataRole.DisplayRole


def at(second: int) -> str:
    return f"2026-12-01T10:00:{second:02d}.000000Z"


@pytest.fixture
def models(qtbot: QtBot) -> Iterator[list[JobTableModel]]:
    made: list[JobTableModel] = []
    yield made
    for model in made:
        model.detach()


def check(tester: ModelTester, model: JobTableModel) -> None:
    """Qt's model tester watching ``model`` from now on (pytest-qt leaves it unannotated)."""
    run: Callable[..., None] = tester.check
    run(model)


def cell(model: JobTableModel, job_id: str, column: Column, role: int = DISPLAY) -> object:
    row = model.row_of_key((SERVER, job_id))
    assert row is not None
    return model.data(model.index(row, column), role)


def test_a_stale_job_reads_stale_in_amber_and_is_counted_and_filtered_apart(
    qtbot: QtBot, models: list[JobTableModel]
) -> None:
    store = store_with([job("ok", status=Status.RUNNING), job("hung", stale=True)])
    model = JobTableModel(store, age_refresh_ms=0, clock=lambda: NOW_EPOCH)
    models.append(model)
    model.flush()
    assert cell(model, "hung", Column.STATUS) == "stale"
    assert cell(model, "ok", Column.STATUS) == "running"
    brush = cell(model, "hung", Column.STATUS, Qt.ItemDataRole.ForegroundRole)
    assert isinstance(brush, QBrush)
    assert brush.color().red() > brush.color().blue()
    assert cell(model, "ok", Column.STATUS, Qt.ItemDataRole.ForegroundRole) is None
    stale_icon = state_icon(State.STALE).pixmap(16).toImage()
    running_icon = state_icon(State.RUNNING).pixmap(16).toImage()
    assert stale_icon != running_icon
    assert "no report" in str(cell(model, "hung", Column.STATUS, Qt.ItemDataRole.ToolTipRole))
    counts = model.state_counts()
    assert (counts["running"], counts["stale"]) == (1, 1)
    model.set_status_filter(StatusFilter.STALE)
    assert shown_ids(model) == ["hung"]
    model.set_status_filter(StatusFilter.ACTIVE)
    assert sorted(shown_ids(model)) == ["hung", "ok"]
    model.set_search("stale")
    assert shown_ids(model) == ["hung"]
    with qtbot.waitSignal(model.counts_changed, timeout=5000):
        update(store, job("hung", version=2, stale=False, progress=40))
    assert model.state_counts()["stale"] == 0
    assert shown_ids(model) == []  # "stale" no longer matches it


def test_triage_order_puts_what_needs_the_operator_first(
    qtmodeltester: ModelTester, models: list[JobTableModel]
) -> None:
    acknowledged = {(SERVER, "old-failure")}

    def unacknowledged(key: JobKey) -> bool:
        return key not in acknowledged

    store = store_with(
        [
            job("done", status=Status.COMPLETED, updated_at=at(50)),
            job("queued", status=Status.QUEUED, updated_at=at(40)),
            job("running-old", updated_at=at(10)),
            job("running-new", updated_at=at(30)),
            job("retrying", status=Status.RETRYING, updated_at=at(5)),
            job("stale", stale=True, updated_at=at(1)),
            job("new-failure", status=Status.FAILED, updated_at=at(2)),
            job("old-failure", status=Status.FAILED, updated_at=at(55)),
        ]
    )
    model = JobTableModel(store, age_refresh_ms=0, unacknowledged=unacknowledged)
    models.append(model)
    check(qtmodeltester, model)
    model.flush()
    assert model.sort_column() == TRIAGE
    assert shown_ids(model) == [
        "new-failure",
        "stale",
        "retrying",
        "running-new",
        "running-old",
        "queued",
        "old-failure",  # acknowledged: with the rest, newest first
        "done",
    ]
    bold = cell(model, "new-failure", Column.NAME, Qt.ItemDataRole.FontRole)
    assert isinstance(bold, QFont)
    assert bold.bold()
    assert cell(model, "old-failure", Column.NAME, Qt.ItemDataRole.FontRole) is None

    acknowledged.add((SERVER, "new-failure"))
    model.refresh_acknowledged()
    assert shown_ids(model)[-3:] == ["old-failure", "done", "new-failure"]
    assert cell(model, "new-failure", Column.NAME, Qt.ItemDataRole.FontRole) is None

    model.sort(Column.NAME, Qt.SortOrder.AscendingOrder)  # a header click still sorts
    assert shown_ids(model)[0] == "done"
    model.sort(TRIAGE)  # and back
    assert shown_ids(model)[0] == "stale"


def test_a_held_order_stays_still_while_rows_update_in_place_then_catches_up(
    qtbot: QtBot, qtmodeltester: ModelTester, models: list[JobTableModel]
) -> None:
    store = store_with([job(f"j{n}", progress=10 * n) for n in range(5)])
    model = JobTableModel(store, age_refresh_ms=0, batch_ms=1)
    models.append(model)
    check(qtmodeltester, model)
    model.flush()
    model.sort(Column.PROGRESS, Qt.SortOrder.AscendingOrder)
    assert shown_ids(model) == ["j0", "j1", "j2", "j3", "j4"]
    with qtbot.waitSignal(model.order_held, timeout=1000) as held:
        model.hold()
    assert held.args == [True]
    update(store, job("j0", version=2, progress=99), job("j9", progress=1))
    model.flush()
    assert shown_ids(model) == ["j0", "j1", "j2", "j3", "j4", "j9"]  # new rows wait at the end
    assert cell(model, "j0", Column.PROGRESS) == "99%"  # but the row shows its news
    update(store, job("j3", version=2, status=Status.FAILED, progress=30))
    update(store, job("j0", version=3, progress=98))
    model.flush()
    assert shown_ids(model) == ["j0", "j1", "j2", "j3", "j4", "j9"]
    with qtbot.waitSignal(model.order_held, timeout=1000) as released:
        model.release()
    assert released.args == [False]
    assert shown_ids(model) == ["j9", "j1", "j2", "j3", "j4", "j0"]


def test_rows_leave_a_held_order_when_the_filter_drops_them(
    qtmodeltester: ModelTester, models: list[JobTableModel]
) -> None:
    store = store_with([job(f"j{n}", progress=10 * n) for n in range(3)])
    model = JobTableModel(store, age_refresh_ms=0)
    models.append(model)
    check(qtmodeltester, model)
    model.flush()
    model.set_status_filter(StatusFilter.ACTIVE)
    model.sort(Column.PROGRESS, Qt.SortOrder.AscendingOrder)
    model.hold()
    update(store, job("new", progress=5), job("j1", version=2, progress=80))
    model.flush()
    update(store, job("new", version=2, status=Status.COMPLETED), job("j0", version=2, progress=90))
    model.flush()
    assert shown_ids(model) == ["j0", "j1", "j2"]
    model.release()
    assert shown_ids(model) == ["j2", "j1", "j0"]
