"""Which selected jobs an action applies to, and the status bar's account of it."""

from __future__ import annotations

from jobdesk.client.actions import Outcome
from jobdesk.core.store import JobKey
from jobdesk.gui.job_actions import (
    CANCELLABLE,
    RETRYABLE,
    allows,
    by_server,
    eligible,
    outcome_text,
)
from jobdesk.protocol import Status

STATUSES: dict[JobKey, Status] = {
    ("a", "q"): Status.QUEUED,
    ("a", "f"): Status.FAILED,
    ("b", "r"): Status.RUNNING,
    ("b", "c"): Status.COMPLETED,
}


def test_the_statuses_each_action_allows() -> None:
    allowed_somehow = CANCELLABLE | RETRYABLE
    assert allowed_somehow == frozenset(Status) - {Status.COMPLETED}
    assert not CANCELLABLE & RETRYABLE


def test_eligible_jobs_by_server() -> None:
    keys = [*STATUSES, ("a", "gone")]
    chosen = eligible(keys, STATUSES.get, CANCELLABLE)
    assert chosen == [("a", "q"), ("b", "r")]
    assert by_server(chosen) == {"a": ["q"], "b": ["r"]}
    assert allows(keys, STATUSES.get, RETRYABLE)
    assert not allows([("b", "c"), ("a", "gone")], STATUSES.get, RETRYABLE)


def test_the_outcome_counts_what_was_done_skipped_and_refused() -> None:
    assert outcome_text("Retried", [Outcome("j1", True)]) == "Retried 1 job(s)"
    outcomes = [Outcome("j1", True), Outcome("j2", False, "job j2 is already completed")]
    assert outcome_text("Cancelled", outcomes, skipped=2) == (
        "Cancelled 1 job(s); 2 skipped (status does not allow it); "
        "refused: j2: job j2 is already completed"
    )
