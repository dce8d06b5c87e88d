"""The notification rules, with a hand-moved clock: once per transition, bursts batched,
filters, stalls, unacknowledged failures and the tray's state."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
import pytest

from jobdesk.core.away import AwaySummary, StateChange
from jobdesk.core.connection import ConnectionState, Transport
from jobdesk.core.notice import NoticeAction, NoticeKind, Urgency
from jobdesk.core.notify_policy import NotifyPolicy, NotifySettings
from jobdesk.core.store import JobStore
from jobdesk.core.tray_state import TrayState
from jobdesk.protocol import Attempt, Job, Status

NOW = "2026-11-22T10:00:00.000Z"


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def job(
    job_id: str,
    version: int,
    status: Status = Status.QUEUED,
    *,
    progress: float = 0.0,
    job_type: str = "generic",
    error: str | None = None,
) -> Job:
    return Job(
        id=job_id,
        name=f"name-{job_id}",
        job_type=job_type,
        status=status,
        progress=progress,
        error=error,
        version=version,
        created_at=NOW,
        updated_at=NOW,
    )


class World:
    """A real store feeding the policy, as the app wires them; the clock moves by hand."""

    def __init__(self, settings: NotifySettings | None = None, *, live: bool = True) -> None:
        self.clock = Clock()
        self.policy = NotifyPolicy(settings, clock=self.clock)
        self.store = JobStore()
        self.store.subscribe(self.policy.on_changes)
        self.store.apply("srv", epoch="e", jobs=[], replace=True)
        if live:
            self.connect(Transport.LIVE)

    def connect(self, transport: Transport, server: str = "srv") -> None:
        self.policy.connection_changed(server, ConnectionState(transport))

    def put(self, *jobs: Job) -> None:
        self.store.apply("srv", epoch="e", jobs=jobs)

    def after(self, seconds: float) -> list[tuple[NoticeKind, str]]:
        """Move the clock, tick, and say what came out (kind, title)."""
        self.clock.now += seconds
        return [(n.kind, n.title) for n in self.policy.tick()]


def test_a_completion_is_notified_once_after_the_window() -> None:
    world = World()
    world.put(job("a", 1, Status.RUNNING))
    world.put(job("a", 2, Status.COMPLETED))
    assert world.after(0.5) == []  # still inside the batch window
    assert world.after(0.5) == [(NoticeKind.COMPLETED, "Completed: name-a")]
    world.put(job("a", 3, Status.COMPLETED, progress=100.0))  # a new version, same status
    world.store.apply("srv", epoch="e", jobs=[job("a", 3, Status.COMPLETED)], replace=True)
    assert world.after(5) == []
    assert world.policy.due_in() is None


def test_failure_notice_says_why_and_is_urgent() -> None:
    world = World()
    world.put(job("a", 2, Status.FAILED, error="disk full\nTraceback (most recent call last):"))
    world.clock.now += 1
    (notice,) = world.policy.tick()
    assert (notice.title, notice.urgency, notice.job) == (
        "Failed: name-a",
        Urgency.CRITICAL,
        ("srv", "a"),
    )
    assert notice.body == "disk full\ngeneric"  # the error's first line; one server: no name
    assert notice.actions == (NoticeAction.OPEN, NoticeAction.ACKNOWLEDGE)
    assert notice.failures == (("srv", "a"),)
    # the server's replay after a reconnect repeats the event: nothing new to say
    world.connect(Transport.OFFLINE)
    world.connect(Transport.CONNECTING)
    world.store.apply("srv", epoch="e", jobs=[job("a", 2, Status.FAILED)], replace=True)
    world.connect(Transport.LIVE)
    world.put(job("a", 2, Status.FAILED))
    assert world.after(2) == []


def test_bodies_tell_jobs_apart_by_owner_duration_and_server_when_several() -> None:
    world = World()
    done = msgspec.structs.replace(
        job("a", 2, Status.COMPLETED),
        owner="alice",
        started_at="2026-11-22T10:00:00.000Z",
        finished_at="2026-11-22T10:02:05.000Z",
    )
    world.put(done)
    world.clock.now += 1
    (notice,) = world.policy.tick()
    assert notice.body == "alice · 2 min · generic"
    world.connect(Transport.LIVE, server="other")
    world.put(job("b", 2, Status.FAILED, error="boom"))
    world.clock.now += 1
    (notice,) = world.policy.tick()
    assert notice.body == "boom\ngeneric on srv"


def test_completions_are_summarised_once_a_minute() -> None:
    world = World()
    world.put(job("a", 2, Status.COMPLETED))
    assert world.policy.due_in() == pytest.approx(1.0)
    assert world.after(1) == [(NoticeKind.COMPLETED, "Completed: name-a")]  # the first at once
    for i in range(12):
        world.clock.now += 2
        world.put(job(f"j{i}", 2, Status.COMPLETED))
    world.put(job("z", 2, Status.FAILED, error="SMTP 550"))
    world.put(job("y", 2, Status.CANCELLED))
    outs = [world.after(1)]  # the two failures go out alone (the budget has tokens)
    assert sorted(outs[0]) == [(NoticeKind.FAILED, "Cancelled: name-y"),
                               (NoticeKind.FAILED, "Failed: name-z")]  # fmt: skip
    assert world.policy.due_in() == pytest.approx(35)  # a minute after the first one
    assert world.after(34) == []
    world.clock.now += 1
    (notice,) = world.policy.tick()
    assert (notice.kind, notice.title) == (NoticeKind.SUMMARY, "12 completed")
    assert notice.body == "name-j0, name-j1, name-j2 and 9 more"
    assert len(notice.jobs) == 12
    assert world.after(120) == []


def test_failures_beyond_the_budget_are_folded_into_the_summary_never_dropped() -> None:
    world = World()
    world.put(*(job(x, 2, Status.FAILED, error=f"error {x}") for x in "abcde"))
    world.put(job("k", 2, Status.COMPLETED))
    first = world.after(1)
    assert first[:3] == [(NoticeKind.FAILED, f"Failed: name-{x}") for x in "abc"]
    assert len(first) == 3  # the burst of 3 is spent: d, e and the completion wait
    world.clock.now += world.policy.due_in() or 0.0
    (notice,) = world.policy.tick()
    assert world.clock.now == pytest.approx(1016.0)  # the next token: 15 s after the burst
    assert notice.title == "1 completed, 2 failed"
    assert notice.body == "failed: name-d: error d\nfailed: name-e: error e\nname-k"
    assert notice.failures == (("srv", "d"), ("srv", "e"))
    assert notice.actions == (NoticeAction.OPEN, NoticeAction.ACKNOWLEDGE)


def test_never_more_than_eight_a_minute_and_every_failure_told() -> None:
    world = World()
    told: list[tuple[float, str]] = []
    for second in range(600):
        world.put(job(f"c{second}", 2, Status.COMPLETED))
        if second % 7 == 0:
            world.put(job(f"f{second}", 2, Status.FAILED, error="boom"))
        world.clock.now += 1
        told += [(world.clock.now, n.title + "\n" + n.body) for n in world.policy.tick()]
    world.clock.now += 120
    told += [(world.clock.now, n.title + "\n" + n.body) for n in world.policy.tick()]
    for start, _ in told:
        assert sum(1 for t, _ in told if start <= t < start + 60) <= 8
    text = "\n".join(t for _, t in told)
    assert all(f"name-f{s}" in text for s in range(0, 600, 7))


def test_filters_per_kind() -> None:
    world = World(NotifySettings(completed=False, started=True))
    world.put(job("a", 1, Status.QUEUED))
    world.put(job("a", 2, Status.RUNNING))
    world.put(job("a", 3, Status.COMPLETED))
    world.put(job("b", 1, Status.RETRYING))
    world.put(job("b", 2, Status.RUNNING))
    world.put(job("c", 2, Status.CANCELLED))
    assert set(world.after(1)) == {
        (NoticeKind.SUMMARY, "2 started"),  # starts wait for the summary, failures do not
        (NoticeKind.FAILED, "Cancelled: name-c"),
    }
    world.policy.settings = NotifySettings(failed=False)
    world.put(job("d", 2, Status.FAILED))
    world.put(job("e", 2, Status.COMPLETED))
    assert world.after(1) == []
    assert world.after(60) == [(NoticeKind.COMPLETED, "Completed: name-e")]  # a minute on


def retrying(job_id: str, version: int, number: int, error: str) -> Job:
    """A job whose attempt ``number`` of 3 just failed, as the server sends it."""
    history = [
        Attempt(number=n, worker="w1", started_at=NOW, ended_at=NOW, outcome="failed", error=e)
        for n, e in [(n, f"error {n}") for n in range(1, number)] + [(number, error)]
    ]
    return Job(
        id=job_id,
        name=f"name-{job_id}",
        status=Status.RETRYING,
        attempts=number,
        max_attempts=3,
        history=history,
        error=error,
        retry_at=NOW,
        version=version,
        created_at=NOW,
        updated_at=NOW,
    )


def test_retrying_is_off_by_default() -> None:
    world = World()
    world.put(job("a", 1, Status.RUNNING))
    world.put(retrying("a", 2, 1, "disk full"))
    assert world.after(2) == []


def test_each_retry_says_which_attempt_failed_and_why() -> None:
    world = World(NotifySettings(retrying=True))
    world.put(job("a", 1, Status.RUNNING))
    world.put(retrying("a", 2, 1, "disk full"))
    world.clock.now += 1
    (notice,) = world.policy.tick()
    assert (notice.kind, notice.title, notice.urgency, notice.job) == (
        NoticeKind.RETRYING,
        "Retrying: name-a",
        Urgency.NORMAL,
        ("srv", "a"),
    )
    assert notice.body == "attempt 1 of 3 failed: disk full\ngeneric"
    world.put(retrying("a", 3, 1, "disk full"))  # a new version of the same retry
    assert world.after(2) == []
    world.put(job("a", 4, Status.RUNNING))  # the second attempt, and its failure
    world.put(retrying("a", 5, 2, "timed out"))
    world.clock.now += 60  # retries wait for the summary: one a minute
    (notice,) = world.policy.tick()
    assert notice.body == "attempt 2 of 3 failed: timed out\ngeneric"
    assert world.policy.unacknowledged() == ()  # not a failure (yet)


def test_a_retry_is_explained_by_the_jobs_own_error_and_attempt_count() -> None:
    world = World(NotifySettings(retrying=True))
    bare = job("a", 2, Status.RETRYING, error="exit code 3")
    world.put(bare)
    world.clock.now += 1
    (notice,) = world.policy.tick()
    assert notice.body == "attempt 0 of 1 failed: exit code 3\ngeneric"


def test_a_burst_of_retries_is_one_summary() -> None:
    world = World(NotifySettings(retrying=True))
    world.put(*(retrying(x, 2, 1, "boom") for x in "abcd"))
    world.put(job("e", 2, Status.COMPLETED))
    world.clock.now += 1
    (notice,) = world.policy.tick()
    assert (notice.title, notice.urgency) == ("1 completed, 4 retrying", Urgency.NORMAL)
    assert notice.body == "name-a, name-b, name-c and 2 more"


def test_filters_per_job_type() -> None:
    world = World(NotifySettings(job_types=frozenset({"llm_agent"})))
    world.put(job("a", 2, Status.COMPLETED, job_type="generic"))
    world.put(job("b", 2, Status.COMPLETED, job_type="llm_agent"))
    world.put(job("c", 2, Status.FAILED, job_type="file_processing"))
    assert world.after(1) == [(NoticeKind.COMPLETED, "Completed: name-b")]
    # filters concern notices only: the tray still counts the failure
    assert world.policy.unacknowledged() == (("srv", "c"),)


def test_the_initial_load_is_history_not_news() -> None:
    world = World(NotifySettings(started=True), live=False)
    world.connect(Transport.CONNECTING)
    world.store.apply(
        "srv",
        epoch="e",
        jobs=[job("a", 5, Status.COMPLETED), job("b", 5, Status.FAILED), job("c", 3)],
        replace=True,
    )
    world.connect(Transport.LIVE)
    assert world.after(2) == []
    assert world.policy.unacknowledged() == ()
    world.put(job("c", 4, Status.RUNNING))
    assert world.after(1) == [(NoticeKind.STARTED, "Started: name-c")]


def test_catching_up_is_told_by_the_away_summary_alone() -> None:
    world = World()
    world.put(job("a", 1, Status.RUNNING), job("b", 1, Status.RUNNING))
    world.connect(Transport.OFFLINE)
    world.connect(Transport.CONNECTING)
    world.put(job("a", 2, Status.COMPLETED), job("b", 2, Status.FAILED))  # the replay
    world.connect(Transport.LIVE)
    report = AwaySummary(
        "srv",
        (
            StateChange("a", "name-a", Status.RUNNING, Status.COMPLETED),
            StateChange("b", "name-b", Status.RUNNING, Status.FAILED),
        ),
    )
    world.policy.on_away(report)
    assert world.policy.due_in() == 0
    (notice,) = world.policy.tick()
    assert (notice.kind, notice.title, notice.body) == (
        NoticeKind.AWAY,
        "While you were away: srv",
        "1 completed, 1 failed",
    )
    assert (notice.urgency, notice.job) == (Urgency.CRITICAL, ("srv", "b"))
    assert world.after(2) == []
    # a failure caught up on still waits for the operator
    assert world.policy.unacknowledged() == (("srv", "b"),)


def test_a_stall_is_notified_once_until_progress_moves() -> None:
    world = World(NotifySettings(stalled=True, stall_minutes=10))
    world.put(job("a", 1, Status.RUNNING, progress=40.0))
    assert world.policy.due_in() == pytest.approx(600.0)
    assert world.after(9 * 60) == []
    world.put(job("a", 2, Status.RUNNING, progress=40.0, error=None))  # a message, no progress
    assert world.after(60) == []  # stalled now: the burst window opens
    world.clock.now += 1
    (notice,) = world.policy.tick()
    assert (notice.kind, notice.title) == (NoticeKind.STALLED, "Stalled: name-a")
    assert notice.body == "no progress for 10 min, at 40%\ngeneric"
    assert notice.actions == (NoticeAction.OPEN, NoticeAction.FORCE_FAIL)
    assert world.after(3600) == []  # stalls once
    assert world.policy.due_in() is None
    world.put(job("a", 3, Status.RUNNING, progress=41.0))
    assert world.after(599) == []
    assert world.after(1) == []
    assert world.after(1) == [(NoticeKind.STALLED, "Stalled: name-a")]


def test_stalls_are_not_judged_while_the_server_is_unreachable_or_paused() -> None:
    world = World(NotifySettings(stalled=True, stall_minutes=1))
    world.put(job("a", 1, Status.RUNNING))
    world.connect(Transport.OFFLINE)
    assert world.policy.due_in() is None
    assert world.after(600) == []
    world.connect(Transport.POLLING)
    world.policy.set_paused(True)
    assert world.after(600) == []
    world.policy.set_paused(False)
    assert world.after(1) == []  # found now, shown after the window
    assert world.after(1) == [(NoticeKind.STALLED, "Stalled: name-a")]


def test_pause_drops_what_is_pending_and_what_comes() -> None:
    world = World()
    world.put(job("a", 2, Status.COMPLETED))
    world.policy.set_paused(True)
    world.put(job("b", 2, Status.COMPLETED))
    world.policy.on_away(AwaySummary("srv", (StateChange("c", "c", None, Status.COMPLETED),)))
    assert world.after(2) == []
    world.policy.set_paused(False)
    world.put(job("d", 2, Status.COMPLETED))
    assert world.after(1) == [(NoticeKind.COMPLETED, "Completed: name-d")]


def test_unacknowledged_failures_until_acknowledged_or_retried() -> None:
    world = World()
    world.put(job("a", 2, Status.FAILED), job("b", 2, Status.CANCELLED), job("c", 2))
    assert world.policy.unacknowledged() == (("srv", "a"), ("srv", "b"))
    world.policy.acknowledge(("srv", "a"))
    assert world.policy.unacknowledged() == (("srv", "b"),)
    world.put(job("a", 3, Status.FAILED))  # a new version of an acknowledged failure
    assert world.policy.unacknowledged() == (("srv", "b"),)
    world.put(job("b", 3, Status.RETRYING))
    assert world.policy.unacknowledged() == ()
    world.put(job("b", 4, Status.FAILED), job("a", 4, Status.RUNNING))
    world.put(job("a", 5, Status.FAILED))
    assert world.policy.unacknowledged() == (("srv", "b"), ("srv", "a"))
    world.store.apply("srv", epoch="e", removed=["b"])
    assert world.policy.unacknowledged() == (("srv", "a"),)
    world.policy.acknowledge(("srv", "a"))
    assert world.policy.unacknowledged() == ()


def test_tray_state_priority() -> None:
    world = World()
    policy = world.policy
    assert policy.tray_status().state is TrayState.ALL_WELL
    assert policy.tray_status().describe() == "jobdesk\nall well"
    world.put(job("r", 1, Status.RUNNING))
    assert (policy.tray_status().state, policy.tray_status().running) == (TrayState.RUNNING, 1)
    world.put(job("f", 2, Status.FAILED))
    assert policy.tray_status().state is TrayState.FAILURES
    world.connect(Transport.AUTH_FAILED, server="other")
    status = policy.tray_status()
    assert status.state is TrayState.FAILURES  # one server of two: said, not shown as down
    assert status.describe() == "jobdesk\nother: auth failed\n1 unacknowledged failure\n1 running"
    world.connect(Transport.OFFLINE)
    status = policy.tray_status()
    assert status.state is TrayState.DISCONNECTED  # every server unreachable
    assert status.describe().startswith("jobdesk\nother: auth failed\nsrv: unreachable\n")
    world.connect(Transport.LIVE)
    world.connect(Transport.CONNECTING, server="other")
    assert policy.tray_status().state is TrayState.FAILURES
    world.connect(Transport.OFFLINE, server="other")
    policy.forget_server("other")
    policy.acknowledge(("srv", "f"))
    assert policy.tray_status().state is TrayState.RUNNING
    world.put(job("r", 2, Status.COMPLETED))
    assert policy.tray_status().state is TrayState.ALL_WELL


def test_the_running_count_follows_each_job_in_and_out_of_running() -> None:
    """Only running and retrying jobs are held for the tray and the stall check; a
    finished job leaves nothing behind, and a retried one counts again."""
    world = World()
    world.store.apply(
        "srv",
        epoch="e",
        jobs=[job(f"done-{n}", 3, Status.COMPLETED) for n in range(500)]
        + [job("a", 1, Status.RUNNING), job("b", 1, Status.RETRYING), job("c", 1)],
        replace=True,
    )
    assert world.policy.tray_status().running == 2
    world.put(job("a", 2, Status.COMPLETED), job("c", 2, Status.RUNNING))
    assert world.policy.tray_status().running == 2
    world.put(job("done-7", 4, Status.RUNNING))  # retried by an operator
    assert world.policy.tray_status().running == 3
    world.store.apply("srv", epoch="e", removed=["b"])
    assert world.policy.tray_status().running == 2


def test_forgetting_a_server_drops_its_running_jobs_and_failures() -> None:
    world = World()
    world.connect(Transport.LIVE, server="other")
    world.store.apply(
        "other",
        epoch="o",
        jobs=[job("x", 1, Status.RUNNING), job("y", 2, Status.FAILED)],
        replace=True,
    )
    world.put(job("a", 1, Status.RUNNING))
    assert world.policy.tray_status().running == 2
    assert world.policy.unacknowledged() == (("other", "y"),)
    world.policy.forget_server("other")
    assert world.policy.tray_status().running == 1
    assert world.policy.unacknowledged() == ()


def test_the_servers_stale_flag_is_a_stall_told_once_and_counted_by_the_tray() -> None:
    world = World()
    assert world.policy.settings.stalled  # on by default
    world.put(job("a", 1, Status.RUNNING, progress=40.0))
    stale = msgspec.structs.replace(job("a", 2, Status.RUNNING, progress=40.0), stale=True)
    world.put(stale)
    status = world.policy.tray_status()
    assert (status.state, status.stale, status.running) == (TrayState.STALE, 1, 0)
    assert "1 stalled" in status.describe()
    world.clock.now += 1
    (notice,) = world.policy.tick()
    assert (notice.kind, notice.title) == (NoticeKind.STALLED, "Stalled: name-a")
    assert notice.body.startswith("the server marked it stale, at 40%")
    world.put(msgspec.structs.replace(stale, version=3))  # still stale: nothing new
    assert world.after(20 * 60) == []  # nor does this monitor's own stall check repeat it
    world.put(job("a", 4, Status.RUNNING, progress=50.0))  # moving again
    assert world.policy.tray_status().state is TrayState.RUNNING


def test_acknowledged_failures_are_restored_and_pruned_at_the_first_load() -> None:
    policy = NotifyPolicy(clock=Clock())
    policy.restore([("srv", "kept"), ("srv", "retried"), ("srv", "gone"), ("other", "x")])
    assert policy.is_unacknowledged(("srv", "gone"))
    assert policy.tray_status().unacknowledged == 4  # the badge before any server answers
    store = JobStore()
    store.subscribe(policy.on_changes)
    before = policy.acknowledged_version
    store.apply(
        "srv",
        epoch="e",
        jobs=[
            job("kept", 3, Status.FAILED),
            job("retried", 4, Status.RUNNING),
            job("old", 2, Status.FAILED),
        ],
        replace=True,
    )
    policy.connection_changed("srv", ConnectionState(Transport.LIVE))
    assert policy.unacknowledged() == (("srv", "kept"), ("other", "x"))
    assert not policy.is_unacknowledged(("srv", "old"))  # the first load is history
    assert policy.acknowledged_version > before
    policy.acknowledge(("srv", "kept"))
    assert policy.unacknowledged() == (("other", "x"),)


def test_entering_a_new_token_keeps_the_failures_counted() -> None:
    """auth failed, then live again on the same store: nothing is reloaded as history."""
    world = World()
    world.put(job("f", 2, Status.FAILED))
    world.connect(Transport.AUTH_FAILED)
    world.connect(Transport.CONNECTING)
    world.store.apply("srv", epoch="e2", jobs=[job("f", 2, Status.FAILED)], replace=True)
    world.connect(Transport.LIVE)
    assert world.policy.tray_status().unacknowledged == 1
