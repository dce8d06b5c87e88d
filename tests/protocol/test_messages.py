"""The WebSocket messages round-trip and bad frames fail clearly."""

from __future__ import annotations

import msgspec
import pytest

from jobdesk.protocol import (
    Auth,
    Job,
    JobFilter,
    JobRemoved,
    JobUpdate,
    JobUpdates,
    SubscribeJobs,
    decode_client_message,
    decode_server_message,
    encode_message,
    format_timestamp,
    parse_timestamp,
)


def test_subscribe_round_trips_in_camel_case() -> None:
    message = SubscribeJobs(since=12, epoch="e", filter=JobFilter(owner="u1", job_ids=["job_1"]))
    data = encode_message(message)
    assert b'"type":"subscribe_jobs"' in data
    assert b'"jobIds":["job_1"]' in data
    assert decode_client_message(data) == message


def test_seed003_bare_subscribe_is_accepted() -> None:
    assert decode_client_message(b'{"type": "subscribe_jobs"}') == SubscribeJobs()


def test_job_update_round_trips() -> None:
    now = "2026-11-22T10:00:00.123Z"
    job = Job(id="job_1", name="send-email", created_at=now, updated_at=now)
    message = JobUpdate(job=job, seq=5, epoch="e", timestamp=now)
    assert decode_server_message(encode_message(message)) == message


def test_batch_is_asked_for_in_subscribe_and_left_out_when_not() -> None:
    assert encode_message(SubscribeJobs()) == b'{"type":"subscribe_jobs"}'
    asked = SubscribeJobs(since=3, epoch="e", batch=True)
    assert encode_message(asked) == b'{"type":"subscribe_jobs","since":3,"epoch":"e","batch":true}'
    assert decode_client_message(encode_message(asked)) == asked


def test_job_updates_carry_updates_and_removals_with_their_range() -> None:
    now = "2026-11-22T10:00:00.123Z"
    job = Job(id="job_1", name="n", created_at=now, updated_at=now)
    message: JobUpdates[Job] = JobUpdates(
        epoch="e",
        after=4,
        seq=9,
        updates=[
            JobUpdate(job=job, seq=7, epoch="e", timestamp=now),
            JobRemoved(job_id="job_2", seq=9, epoch="e", timestamp=now),
        ],
    )
    data = encode_message(message)
    assert data.startswith(b'{"type":"job_updates","epoch":"e","after":4,"seq":9,"updates":[')
    assert decode_server_message(data) == message


def test_unknown_type_is_a_validation_error() -> None:
    with pytest.raises(msgspec.ValidationError, match="Invalid value 'subscribe'"):
        decode_client_message(b'{"type": "subscribe"}')


def test_auth_without_token_names_the_field() -> None:
    with pytest.raises(msgspec.ValidationError, match="token"):
        decode_client_message(b'{"type": "auth"}')
    assert decode_client_message(b'{"type":"auth","token":"t"}') == Auth(token="t")


def test_timestamps_have_milliseconds_and_z() -> None:
    moment = parse_timestamp("2026-11-22T10:00:00.123456+00:00")
    assert format_timestamp(moment) == "2026-11-22T10:00:00.123Z"
    with pytest.raises(ValueError, match="no time zone"):
        parse_timestamp("2026-11-22T10:00:00")
