"""The outbox alone: folding progress, ordering events, and when it is due."""

from __future__ import annotations

import pytest

from jobdesk.protocol.rest import MessageRequest, ProgressRequest
from jobdesk.sdk.coalesce import OVERALL, Outbox


def test_consecutive_progress_folds_into_one_request() -> None:
    box = Outbox(interval=1.0)
    for step in range(1000):
        box.progress(OVERALL, step / 1000, None, now=0.0)
    assert box.take(now=0.0) == [ProgressRequest(progress=0.999)]
    assert not box


def test_each_target_keeps_its_latest_value_in_last_set_order() -> None:
    box = Outbox(interval=1.0)
    box.progress("a", 0.1, None, now=0.0)
    box.progress(OVERALL, 0.5, "overall", now=0.0)
    box.progress("b", 0.2, None, now=0.0)
    box.progress("a", 0.3, None, now=0.0)
    assert box.take(now=0.0) == [
        ProgressRequest(progress=0.5),
        ProgressRequest(progress=0.2, sub_operation="b"),
        ProgressRequest(progress=0.3, sub_operation="a", message="overall"),
    ]


def test_events_are_barriers_that_keep_order() -> None:
    box = Outbox(interval=1.0)
    box.progress(OVERALL, 0.1, None, now=0.0)
    box.event(MessageRequest(text="a"), now=0.0)
    box.progress(OVERALL, 0.2, None, now=0.0)
    box.progress(OVERALL, 0.3, None, now=0.0)
    assert box.take(now=0.0) == [
        ProgressRequest(progress=0.1),
        MessageRequest(text="a"),
        ProgressRequest(progress=0.3),
    ]


def test_progress_after_a_quiet_spell_is_due_at_once_then_an_interval_after_each_send() -> None:
    box = Outbox(interval=0.2)
    assert box.due_in(now=5.0) is None
    box.progress(OVERALL, 0.1, None, now=10.0)
    assert box.due_in(now=10.0) == 0.0  # nothing sent lately: at once
    box.take(now=10.0)
    box.progress(OVERALL, 0.2, None, now=10.05)
    box.progress(OVERALL, 0.3, None, now=10.15)
    assert box.due_in(now=10.15) == pytest.approx(0.05)  # folded until 0.2 s after the send
    assert box.due_in(now=10.3) == 0.0
    assert box.take(now=10.3) == [ProgressRequest(progress=0.3)]
    box.progress(OVERALL, 0.4, None, now=11.0)
    assert box.due_in(now=11.0) == 0.0  # a quiet spell again


def test_an_event_is_due_at_once() -> None:
    box = Outbox(interval=60.0)
    box.progress(OVERALL, 0.1, None, now=0.0)
    box.event(MessageRequest(text="now"), now=0.0)
    assert box.due_in(now=0.0) == 0.0


def test_log_entries_beyond_the_bound_drop_the_oldest() -> None:
    box = Outbox(interval=1.0, max_events=2)
    for text in "abc":
        box.event(MessageRequest(text=text), now=0.0)
    assert box.take(now=0.0) == [MessageRequest(text="b"), MessageRequest(text="c")]
    assert box.dropped == 1
