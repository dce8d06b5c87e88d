"""The tray: availability, an icon drawn for each state, the tooltip, the menu's signals."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QFontMetricsF, QIcon, QImage
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from jobdesk.core.connection import Transport
from jobdesk.core.tray_state import TrayState, TrayStatus
from jobdesk.gui.tray import (
    BADGE_FILL,
    BADGE_OUTLINE,
    BADGE_TEXT,
    SIZES,
    STATE_COLOUR,
    Tray,
    badge_rect,
    draw_icon,
)
from tests.gui.fake_tray import FakeTrayIcon

SIZE = 64
CENTRE = (SIZE // 2, SIZE // 2 + 8)
"""Inside the circle, below the badge."""
BADGE_EDGE = (31, 18)
"""Inside the badge, left of its text."""


def image(icon: QIcon, size: int = SIZE) -> QImage:
    return icon.pixmap(size, size).toImage()


def colour(icon: QIcon, at: tuple[int, int]) -> QColor:
    return image(icon).pixelColor(*at)


def luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in (colour.redF(), colour.greenF(), colour.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio (1 to 21)."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_without_a_tray_it_says_so_and_shows_nothing(qtbot: QtBot) -> None:
    tray = Tray()  # the offscreen platform has no system tray
    assert tray.available is QSystemTrayIcon.isSystemTrayAvailable()
    assert tray.tray_icon.isVisible() is tray.available
    assert not tray.tray_icon.icon().isNull()  # still drawn, for whenever it is shown


def test_with_a_tray_it_is_shown(qtbot: QtBot) -> None:
    tray = Tray(tray_icon=FakeTrayIcon())
    assert tray.available
    assert tray.tray_icon.isVisible()


def test_each_state_has_its_colour() -> None:
    for state, expected in STATE_COLOUR.items():
        assert colour(draw_icon(state), CENTRE) == expected, state
    assert len({image(draw_icon(s)).cacheKey() for s in TrayState}) == len(TrayState)


def test_the_badge_shows_unacknowledged_failures() -> None:
    plain = draw_icon(TrayState.DISCONNECTED)
    badged = draw_icon(TrayState.DISCONNECTED, 3)
    assert colour(plain, BADGE_EDGE) == STATE_COLOUR[TrayState.DISCONNECTED]
    assert colour(badged, BADGE_EDGE) == BADGE_FILL
    assert colour(badged, CENTRE) == STATE_COLOUR[TrayState.DISCONNECTED]
    assert image(badged) != image(draw_icon(TrayState.DISCONNECTED, 5))  # the digit differs
    assert image(draw_icon(TrayState.FAILURES, 12)) == image(draw_icon(TrayState.FAILURES, 99))


def test_the_badge_is_readable_on_every_state_and_never_clipped() -> None:
    for state, fill in STATE_COLOUR.items():
        assert contrast(BADGE_OUTLINE, fill) >= 3 or contrast(BADGE_FILL, fill) >= 3, state
        assert colour(draw_icon(state, 1), BADGE_EDGE) == BADGE_FILL  # not red on red
    assert contrast(BADGE_TEXT, BADGE_FILL) >= 4.5
    for size in SIZES:
        for text in ("1", "7", "9+"):
            box, font = badge_rect(text, size)
            assert box.left() >= 0, (size, text)
            assert box.top() >= 0, (size, text)
            assert box.right() <= size, (size, text)
            assert box.bottom() <= size, (size, text)
            metrics = QFontMetricsF(font)
            assert metrics.horizontalAdvance(text) <= box.width() - 2, (size, text)
            assert metrics.capHeight() <= box.height() - 2, (size, text)
    # drawn at the size asked for, not scaled from a bigger one
    assert draw_icon(TrayState.FAILURES, 3).availableSizes() == [icon_size(s) for s in SIZES]


def icon_size(side: int) -> QSize:
    return QSize(side, side)


def test_the_status_sets_icon_and_tooltip(qtbot: QtBot) -> None:
    tray = Tray(tray_icon=FakeTrayIcon())
    assert colour(tray.tray_icon.icon(), CENTRE) == STATE_COLOUR[TrayState.ALL_WELL]
    status = TrayStatus(TrayState.DISCONNECTED, 2, 1, (("prod", Transport.OFFLINE),))
    tray.set_status(status)
    assert colour(tray.tray_icon.icon(), CENTRE) == STATE_COLOUR[TrayState.DISCONNECTED]
    assert colour(tray.tray_icon.icon(), BADGE_EDGE) == BADGE_FILL
    assert (
        tray.tray_icon.toolTip()
        == "jobdesk\nprod: unreachable\n2 unacknowledged failures\n1 running"
    )


def test_show_hide_follows_the_window(qtbot: QtBot) -> None:
    tray = Tray(tray_icon=FakeTrayIcon())
    with qtbot.waitSignal(tray.show_window_requested):
        tray.window_action.trigger()
    tray.set_window_visible(True)
    assert tray.window_action.text() == "Hide window"
    with qtbot.waitSignal(tray.hide_window_requested):
        tray.window_action.trigger()
    tray.set_window_visible(False)
    with qtbot.waitSignal(tray.show_window_requested):  # a click on the icon
        tray.tray_icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    with (
        qtbot.assertNotEmitted(tray.show_window_requested),
        qtbot.assertNotEmitted(tray.hide_window_requested),
    ):
        tray.tray_icon.activated.emit(QSystemTrayIcon.ActivationReason.Context)


def test_pause_and_quit(qtbot: QtBot) -> None:
    tray = Tray(tray_icon=FakeTrayIcon())
    assert tray.tray_icon.contextMenu() is tray.menu
    with qtbot.waitSignal(tray.pause_toggled) as paused:
        tray.pause_action.trigger()
    assert paused.args == [True]
    assert tray.paused
    with qtbot.waitSignal(tray.pause_toggled) as resumed:
        tray.pause_action.trigger()
    assert resumed.args == [False]
    with qtbot.waitSignal(tray.quit_requested):
        tray.quit_action.trigger()


def test_acknowledge_all_from_the_menu_while_there_are_failures(qtbot: QtBot) -> None:
    tray = Tray(tray_icon=FakeTrayIcon())
    assert not tray.acknowledge_all_action.isEnabled()
    tray.set_status(TrayStatus(TrayState.FAILURES, 2))
    assert tray.acknowledge_all_action.isEnabled()
    with qtbot.waitSignal(tray.acknowledge_all_requested):
        tray.acknowledge_all_action.trigger()


def test_stalled_jobs_are_their_own_state(qtbot: QtBot) -> None:
    tray = Tray(tray_icon=FakeTrayIcon())
    tray.set_status(TrayStatus(TrayState.STALE, running=3, stale=2))
    assert colour(tray.tray_icon.icon(), CENTRE) == STATE_COLOUR[TrayState.STALE]
    assert tray.tray_icon.toolTip() == "jobdesk\n2 stalled\n3 running"
