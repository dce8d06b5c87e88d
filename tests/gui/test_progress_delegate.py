"""The progress delegate draws the style's bar: fuller with progress, greyed when stale,
in the view's palette."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QImage, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QStyledItemDelegate, QTableView
from pytestqt.qtbot import QtBot

from jobdesk.gui.models import Column, JobTableModel, ProgressDelegate, Role
from tests.gui.job_model_helpers import job, store_with


@pytest.fixture
def view(qtbot: QtBot) -> Iterator[QTableView]:
    store = store_with([job("p0", progress=0), job("p50", progress=50), job("p100", progress=100)])
    store.apply("down", epoch="e", jobs=[job("s50", progress=50)], replace=True)
    model = JobTableModel(store, is_live=lambda server: server != "down", age_refresh_ms=0)
    model.flush()
    table = QTableView()
    qtbot.addWidget(table)
    table.setModel(model)
    table.setItemDelegateForColumn(Column.PROGRESS, ProgressDelegate(table))
    table.setColumnWidth(Column.PROGRESS, 160)
    table.resize(900, 300)
    table.show()
    qtbot.waitExposed(table)
    yield table
    model.detach()


def cell_image(table: QTableView, job_id: str, column: int = Column.PROGRESS) -> QImage:
    model = table.model()
    assert isinstance(model, JobTableModel)
    row = model.row_of_key(("down" if job_id.startswith("s") else "srv", job_id))
    assert row is not None
    return table.viewport().grab(table.visualRect(model.index(row, column))).toImage()


def share_near(image: QImage, colour: QColor, tolerance: int = 40) -> float:
    """The share of the image's pixels within ``tolerance`` of ``colour`` (per channel)."""
    near = 0
    for y in range(image.height()):
        for x in range(image.width()):
            pixel = image.pixelColor(x, y)
            if all(
                abs(a - b) <= tolerance
                for a, b in (
                    (pixel.red(), colour.red()),
                    (pixel.green(), colour.green()),
                    (pixel.blue(), colour.blue()),
                )
            ):
                near += 1
    return near / (image.width() * image.height())


def test_the_bar_fills_with_progress_in_the_palettes_highlight(view: QTableView) -> None:
    highlight = view.palette().color(QPalette.ColorRole.Highlight)
    shares = [share_near(cell_image(view, job_id), highlight) for job_id in ("p0", "p50", "p100")]
    assert shares[0] < 0.05
    assert shares[0] < shares[1] < shares[2]
    assert shares[2] > 0.5


def test_a_stale_rows_bar_is_drawn_disabled(view: QTableView) -> None:
    assert cell_image(view, "s50") != cell_image(view, "p50")


def test_the_bar_follows_the_views_palette(qtbot: QtBot, view: QTableView) -> None:
    light = cell_image(view, "p50")
    dark = QPalette(view.palette())
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        dark.setColor(group, QPalette.ColorRole.Base, QColor("#202124"))
        dark.setColor(group, QPalette.ColorRole.Window, QColor("#303134"))
        dark.setColor(group, QPalette.ColorRole.Highlight, QColor("#8ab4f8"))
        dark.setColor(group, QPalette.ColorRole.Text, QColor("#e8eaed"))
    view.setPalette(dark)
    qtbot.waitUntil(lambda: cell_image(view, "p50") != light, timeout=2000)
    assert share_near(cell_image(view, "p50"), QColor("#8ab4f8")) > 0.2


def test_a_cell_without_progress_is_drawn_as_a_plain_item(qtbot: QtBot) -> None:
    model = QStandardItemModel(1, 1)
    model.setItem(0, 0, QStandardItem("no progress here"))
    table = QTableView()
    qtbot.addWidget(table)
    table.setModel(model)
    table.show()
    qtbot.waitExposed(table)
    rect = table.visualRect(model.index(0, 0))
    plain = table.viewport().grab(rect).toImage()
    table.setItemDelegateForColumn(0, ProgressDelegate(table))
    assert table.viewport().grab(rect).toImage() == plain
    table.setItemDelegateForColumn(0, QStyledItemDelegate(table))
    model.setData(model.index(0, 0), 40.0, Role.PROGRESS)
    without_bar = table.viewport().grab(rect).toImage()
    table.setItemDelegateForColumn(0, ProgressDelegate(table))
    assert table.viewport().grab(rect).toImage() != without_bar
