"""Showing notifications: the tray fallback, desktop-notifier and its fallback, the choice
per platform, and the policy at work behind a timer."""

from __future__ import annotations

import asyncio
import logging

import desktop_notifier as dn
import pytest
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from jobdesk.core.connection import ConnectionState, Transport
from jobdesk.core.notice import Notice, NoticeAction, NoticeKind, Urgency
from jobdesk.core.notify_policy import NotifyPolicy, NotifySettings
from jobdesk.core.store import JobKey, JobStore
from jobdesk.core.tray_state import TrayState
from jobdesk.gui.notify import (
    Action,
    DesktopNotifier,
    Notification,
    NotificationCenter,
    TrayNotifier,
    bind,
    choose_notifier,
)
from jobdesk.protocol import Job, Status
from tests.gui.fake_tray import Balloon, FakeTrayIcon
from tests.polling import eventually

NOW = "2026-11-22T10:00:00.000Z"


class Recorder:
    """A Notifier that keeps what it was asked to show."""

    def __init__(self) -> None:
        self.shown: list[Notification] = []
        self.withdrawn: list[int] = []

    def show(self, notification: Notification) -> None:
        self.shown.append(notification)

    def withdraw(self, tag: int) -> None:
        self.withdrawn.append(tag)


class Calls:
    def __init__(self) -> None:
        self.opened: list[JobKey | None] = []
        self.force_failed: list[JobKey] = []

    def open_job(self, key: JobKey | None) -> None:
        self.opened.append(key)

    def force_fail(self, key: JobKey) -> None:
        self.force_failed.append(key)


def stalled_notice() -> Notice:
    return Notice(
        NoticeKind.STALLED,
        "Stalled: render",
        "no progress for 10 min",
        Urgency.NORMAL,
        ("srv", "j1"),
        (NoticeAction.OPEN, NoticeAction.FORCE_FAIL),
    )


# --- binding actions ------------------------------------------------------------------


def test_actions_call_what_the_app_gave() -> None:
    calls = Calls()
    notification = bind(stalled_notice(), calls.open_job, calls.force_fail)
    assert [a.label for a in notification.actions] == ["Open", "Force-fail"]
    assert notification.default_action is notification.actions[0]
    for action in notification.actions:
        action.invoke()
    assert (calls.opened, calls.force_failed) == ([("srv", "j1")], [("srv", "j1")])


def test_a_failing_action_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise RuntimeError("window gone")

    Action("Open", broken).invoke()
    assert "the notification action 'Open' failed" in caplog.text


# --- the tray fallback ----------------------------------------------------------------


def test_tray_notifier_shows_a_balloon_and_a_click_opens(qtbot: QtBot) -> None:
    icon = FakeTrayIcon(visible=True)
    notifier = TrayNotifier(icon)
    calls = Calls()
    notice = Notice(NoticeKind.FAILED, "Failed: a", "disk full", Urgency.CRITICAL, ("s", "a"))
    notifier.show(bind(notice, calls.open_job, calls.force_fail))
    assert icon.balloons == [
        Balloon("Failed: a", "disk full", QSystemTrayIcon.MessageIcon.Critical, 10_000)
    ]
    icon.messageClicked.emit()
    assert calls.opened == [("s", "a")]


def test_tray_notifier_without_a_tray_logs(qtbot: QtBot, caplog: pytest.LogCaptureFixture) -> None:
    icon = FakeTrayIcon(visible=False)
    caplog.set_level(logging.INFO)
    TrayNotifier(icon).show(Notification("Completed: a", "generic on srv"))
    assert icon.balloons == []
    assert "no tray to show 'Completed: a'" in caplog.text


# --- desktop notifications ------------------------------------------------------------


class FakeSender:
    """desktop-notifier's side: dispatches (as the library does on success), raises,
    returns without dispatching (as it does when D-Bus fails), or never answers."""

    def __init__(self, behaviour: str = "dispatch") -> None:
        self.behaviour = behaviour
        self.sent: list[dn.Notification] = []
        self.cleared: list[str] = []

    async def send_notification(self, notification: dn.Notification) -> str:
        self.sent.append(notification)
        if self.behaviour == "raise":
            raise OSError("no notification service")
        if self.behaviour == "hang":
            await asyncio.Event().wait()
        if self.behaviour == "dispatch" and notification.on_dispatched is not None:
            notification.on_dispatched()
        return notification.identifier

    async def clear(self, identifier: str) -> None:
        if self.behaviour == "expired":
            raise KeyError(identifier)  # desktop-notifier forgets a notice the daemon closed
        self.cleared.append(identifier)


@pytest.fixture
def stalled() -> tuple[Notification, Calls]:
    calls = Calls()
    return bind(stalled_notice(), calls.open_job, calls.force_fail), calls


async def test_desktop_notification_with_buttons(stalled: tuple[Notification, Calls]) -> None:
    notification, calls = stalled
    sender, fallback = FakeSender(), Recorder()
    notifier = DesktopNotifier(fallback, sender=sender)
    notifier.show(notification)
    assert sender.sent == []  # show only schedules: it never waits for D-Bus
    await eventually(lambda: len(sender.sent) == 1)
    (native,) = sender.sent
    assert (native.title, native.message, native.urgency) == (
        "Stalled: render",
        "no progress for 10 min",
        dn.Urgency.Normal,
    )
    assert [b.title for b in native.buttons] == ["Open", "Force-fail"]
    force_fail = native.buttons[1].on_pressed
    assert force_fail is not None
    assert native.on_clicked is not None
    force_fail()
    native.on_clicked()
    assert (calls.force_failed, calls.opened) == ([("srv", "j1")], [("srv", "j1")])
    await notifier.aclose()
    assert fallback.shown == []
    assert not notifier.failed


async def test_desktop_notifications_are_withdrawn_one_by_one_and_all_on_quit() -> None:
    sender, fallback = FakeSender(), Recorder()
    notifier = DesktopNotifier(fallback, sender=sender)
    for tag in (1, 2, 3):
        notifier.show(Notification(f"Failed: {tag}", "boom", Urgency.CRITICAL, tag=tag))
    await eventually(lambda: len(sender.sent) == 3)
    first, second, third = (n.identifier for n in sender.sent)
    notifier.withdraw(2)
    await eventually(lambda: sender.cleared == [second])
    notifier.withdraw(2)  # already withdrawn: nothing more
    assert sender.sent[2].on_dismissed is not None
    sender.sent[2].on_dismissed()  # closed by the operator: nothing left to withdraw
    await notifier.aclose()
    assert sorted(sender.cleared) == sorted([second, first])
    assert third not in sender.cleared


async def test_withdrawing_a_notice_the_daemon_already_closed_is_quiet(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sender, fallback = FakeSender("expired"), Recorder()
    notifier = DesktopNotifier(fallback, sender=sender)
    notifier.show(Notification("Failed: x", "boom", Urgency.CRITICAL, tag=1))
    await eventually(lambda: len(sender.sent) == 1)
    await notifier.aclose()  # withdraws what it sent: already gone
    assert "could not withdraw" not in caplog.text


@pytest.mark.parametrize("behaviour", ["raise", "undelivered", "hang"])
async def test_desktop_notifier_falls_back_to_the_tray(
    behaviour: str, stalled: tuple[Notification, Calls], caplog: pytest.LogCaptureFixture
) -> None:
    notification, _ = stalled
    sender, fallback = FakeSender(behaviour), Recorder()
    notifier = DesktopNotifier(fallback, sender=sender, timeout=0.05)
    notifier.show(notification)
    await eventually(lambda: fallback.shown == [notification])
    assert notifier.failed
    assert "using the tray instead" in caplog.text
    second = Notification("Completed: b", "generic on srv")
    notifier.show(second)  # no second attempt: straight to the fallback
    assert fallback.shown == [notification, second]
    assert len(sender.sent) == 1


async def test_real_desktop_notifier_without_a_bus_falls_back(
    monkeypatch: pytest.MonkeyPatch, qtbot: QtBot
) -> None:
    """The library itself, pointed at a session bus that is not there."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/jobdesk-test-bus")
    icon = FakeTrayIcon(visible=True)
    notifier = DesktopNotifier(TrayNotifier(icon))
    notifier.show(Notification("Failed: a", "disk full", Urgency.CRITICAL))
    await eventually(lambda: len(icon.balloons) == 1)
    assert icon.balloons[0].title == "Failed: a"
    assert notifier.failed


# --- choosing -------------------------------------------------------------------------


async def test_linux_with_a_session_bus_gets_desktop_notifications(qtbot: QtBot) -> None:
    icon = FakeTrayIcon(visible=True)
    bus = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus"}
    chosen = choose_notifier(icon, platform="linux", environ=bus)
    assert isinstance(chosen, DesktopNotifier)
    assert isinstance(chosen.fallback, TrayNotifier)
    assert isinstance(choose_notifier(icon, platform="linux", environ={}), TrayNotifier)
    assert isinstance(choose_notifier(icon, platform="darwin", environ=bus), TrayNotifier)
    assert isinstance(choose_notifier(icon, platform="win32", environ={}), TrayNotifier)


# --- the policy behind a timer --------------------------------------------------------


def job(job_id: str, version: int, status: Status) -> Job:
    return Job(
        id=job_id, name=job_id, status=status, version=version, created_at=NOW, updated_at=NOW
    )


def test_the_center_shows_what_the_policy_says(qtbot: QtBot) -> None:
    store, shown, calls = JobStore(), Recorder(), Calls()
    policy = NotifyPolicy(NotifySettings(batch_window=0.05))
    center = NotificationCenter(policy, shown, open_job=calls.open_job, force_fail=calls.force_fail)
    store.subscribe(center.on_changes)
    store.apply("srv", epoch="e", jobs=[job("a", 1, Status.RUNNING)], replace=True)
    center.connection_changed("srv", ConnectionState(Transport.LIVE))
    assert center.status.state is TrayState.RUNNING
    with qtbot.waitSignal(center.status_changed) as changed:
        store.apply("srv", epoch="e", jobs=[job("a", 2, Status.FAILED)])
    assert changed.args[0].state is TrayState.FAILURES
    qtbot.waitUntil(lambda: len(shown.shown) == 1, timeout=2000)
    (notification,) = shown.shown
    assert notification.title == "Failed: a"
    assert notification.default_action is not None
    notification.default_action.invoke()
    assert calls.opened == [("srv", "a")]
    assert center.is_unacknowledged(("srv", "a"))
    with (
        qtbot.waitSignal(center.status_changed) as acknowledged,
        qtbot.waitSignal(center.acknowledged_changed),
    ):
        center.acknowledge([("srv", "a")])
    assert acknowledged.args[0].state is TrayState.ALL_WELL
    assert not center.is_unacknowledged(("srv", "a"))
    assert shown.withdrawn == [notification.tag]  # its notice goes too


def test_the_notifications_acknowledge_button_acknowledges_and_withdraws(qtbot: QtBot) -> None:
    store, shown, calls = JobStore(), Recorder(), Calls()
    policy = NotifyPolicy(NotifySettings(batch_window=0.01))
    center = NotificationCenter(policy, shown, open_job=calls.open_job, force_fail=calls.force_fail)
    store.subscribe(center.on_changes)
    center.connection_changed("srv", ConnectionState(Transport.LIVE))
    store.apply("srv", epoch="e", jobs=[job("a", 2, Status.FAILED)], replace=True)
    qtbot.waitUntil(lambda: len(shown.shown) == 1, timeout=2000)
    (notification,) = shown.shown
    assert [a.label for a in notification.actions] == ["Open", "Acknowledge"]
    assert center.status.unacknowledged == 1
    with qtbot.waitSignal(center.acknowledged_changed):
        notification.actions[1].invoke()
    assert center.status.unacknowledged == 0
    assert shown.withdrawn == [notification.tag]
    center.acknowledge([("srv", "a")])  # again: nothing more to withdraw
    assert shown.withdrawn == [notification.tag]


def test_paused_center_shows_nothing(qtbot: QtBot) -> None:
    store, shown, calls = JobStore(), Recorder(), Calls()
    policy = NotifyPolicy(NotifySettings(batch_window=0.01))
    center = NotificationCenter(policy, shown, open_job=calls.open_job, force_fail=calls.force_fail)
    store.subscribe(center.on_changes)
    center.connection_changed("srv", ConnectionState(Transport.LIVE))
    center.set_paused(True)
    store.apply("srv", epoch="e", jobs=[job("a", 2, Status.COMPLETED)], replace=True)
    center.set_paused(False)
    store.apply("srv", epoch="e", jobs=[job("b", 2, Status.COMPLETED)])
    qtbot.waitUntil(lambda: len(shown.shown) == 1, timeout=2000)
    assert [n.title for n in shown.shown] == ["Completed: b"]


def test_a_closed_center_shows_nothing_more(qtbot: QtBot) -> None:
    """Quitting with a notice pending: its timer must not fire into a monitor that is gone."""
    store, shown, calls = JobStore(), Recorder(), Calls()
    policy = NotifyPolicy(NotifySettings(batch_window=0.01))
    center = NotificationCenter(policy, shown, open_job=calls.open_job, force_fail=calls.force_fail)
    store.subscribe(center.on_changes)
    center.connection_changed("srv", ConnectionState(Transport.LIVE))
    store.apply("srv", epoch="e", jobs=[job("a", 2, Status.FAILED)], replace=True)
    assert center.scheduled  # a notice is on its way
    center.close()
    assert not center.scheduled
    with qtbot.assertNotEmitted(center.status_changed):
        center.connection_changed("srv", ConnectionState(Transport.OFFLINE))  # engines stop
        store.apply("srv", epoch="e", jobs=[job("b", 2, Status.FAILED)])
    assert not center.scheduled
    assert shown.shown == []


def test_a_tray_balloon_cannot_be_withdrawn(qtbot: QtBot) -> None:
    icon = FakeTrayIcon(visible=True)
    notifier = TrayNotifier(icon)
    notifier.show(Notification("Failed: a", "boom", Urgency.CRITICAL, tag=1))
    notifier.withdraw(1)  # nothing Qt can do: it times out by itself
    assert len(icon.balloons) == 1
