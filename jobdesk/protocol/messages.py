"""WebSocket messages on /api/notifications/ws: seed 003's set, plus seq and epoch.

Each message is a struct tagged by its ``type`` field, so one ``decode_client_message``
call both parses and dispatches, and an unknown ``type`` is a clear error.
"""

from __future__ import annotations

from typing import Generic, Literal, cast

import msgspec

from jobdesk.protocol.models import AnyJob, Job, JobStats, JobSummary
from jobdesk.protocol.overview import QueueOverview

SubscribeMode = Literal["replay", "snapshot", "live"]
StreamDialect = Literal["canonical", "seed003"]

MAX_FRAME_BYTES = 64 * 1024
"""Frames over this size close the socket with 1009."""


class _Message(msgspec.Struct, tag_field="type", rename="camel", kw_only=True):
    pass


# ``gc=False`` below: a message holding a Job (a JSON tree) cannot be part of a reference
# cycle, so the garbage collector need not track it; a monitor decodes thousands a second.


# --- client -> server -------------------------------------------------------------------


class Auth(_Message, tag="auth", kw_only=True):
    token: str


class JobFilter(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """Seed 004's subscription by user or job: every given field must match."""

    owner: str | None = None
    job_ids: list[str] | None = None
    job_type: str | None = None


class SubscribeJobs(_Message, tag="subscribe_jobs", kw_only=True, omit_defaults=True):
    since: int | None = None
    epoch: str | None = None
    filter: JobFilter | None = None
    dialect: StreamDialect = "canonical"
    batch: bool = False
    """jobdesk's addition: the client reads ``job_updates``, many changes in one frame
    (each job once, in its newest state). Without it, one ``job_update`` per change."""


class UnsubscribeJobs(_Message, tag="unsubscribe_jobs", kw_only=True):
    pass


class Ping(_Message, tag="ping", kw_only=True):
    pass


class SubscribeOverview(_Message, tag="subscribe_overview", kw_only=True):
    """jobdesk's addition: send me ``queue_overview`` every few seconds from now on."""


class UnsubscribeOverview(_Message, tag="unsubscribe_overview", kw_only=True):
    pass


ClientMessage = (
    Auth | SubscribeJobs | UnsubscribeJobs | Ping | SubscribeOverview | UnsubscribeOverview
)


# --- server -> client -------------------------------------------------------------------


class Connected(_Message, tag="connected", kw_only=True):
    message: str = "WebSocket connection established"
    epoch: str
    seq: int


class JobsSubscribed(_Message, tag="jobs_subscribed", kw_only=True):
    message: str = "Subscribed to job updates"
    mode: SubscribeMode
    epoch: str
    seq: int


class JobUpdate(_Message, Generic[AnyJob], tag="job_update", kw_only=True, gc=False):
    job: AnyJob
    seq: int
    epoch: str
    timestamp: str


class JobRemoved(_Message, tag="job_removed", kw_only=True, gc=False):
    job_id: str
    seq: int
    epoch: str
    timestamp: str


class JobUpdates(_Message, Generic[AnyJob], tag="job_updates", kw_only=True, gc=False):
    """jobdesk's addition, only for a subscriber that asked for it (``batch: true``).

    Every change after ``after`` up to ``seq`` that the subscription covers, compacted:
    each job once, in its newest state, as the ``job_update`` or ``job_removed`` message
    it would have been alone. A client whose stored seq is ``after`` (or more) applies
    them all and moves its seq to ``seq``; one whose seq is below ``after`` lost events.
    """

    epoch: str
    after: int
    seq: int
    updates: list[JobUpdate[AnyJob] | JobRemoved]


class JobStatsUpdate(_Message, tag="job_stats_update", kw_only=True):
    stats: JobStats
    timestamp: str


class QueueOverviewMessage(_Message, tag="queue_overview", kw_only=True):
    """jobdesk's addition, only after ``subscribe_overview``: workers and queues."""

    overview: QueueOverview


class Heartbeat(_Message, tag="heartbeat", kw_only=True):
    seq: int
    epoch: str
    timestamp: str


class Pong(_Message, tag="pong", kw_only=True):
    pass


class AuthFailed(_Message, tag="auth_failed", kw_only=True):
    message: str = "Invalid or expired token"


class ErrorMessage(_Message, tag="error", kw_only=True):
    code: str
    message: str


_OtherServerMessage = (
    Connected | JobsSubscribed | JobRemoved | JobStatsUpdate | Heartbeat | Pong | AuthFailed
) | (ErrorMessage | QueueOverviewMessage)
ServerMessage = JobUpdate[Job] | JobUpdates[Job] | _OtherServerMessage
MonitorMessage = JobUpdate[JobSummary] | JobUpdates[JobSummary] | _OtherServerMessage
"""A server message as the monitor reads it: jobs as summaries."""

_client_decoder = msgspec.json.Decoder(ClientMessage)
_server_decoder = msgspec.json.Decoder(ServerMessage)
_monitor_decoder = msgspec.json.Decoder(MonitorMessage)
_encoder = msgspec.json.Encoder()


def decode_client_message(data: bytes | str) -> ClientMessage:
    """Parse one client frame; raises msgspec.ValidationError or DecodeError on bad input."""
    return cast(ClientMessage, _client_decoder.decode(data))


def decode_server_message(data: bytes | str) -> ServerMessage:
    return cast(ServerMessage, _server_decoder.decode(data))


def decode_monitor_message(data: bytes | str) -> MonitorMessage:
    """Parse one server frame with its jobs as summaries (their logs, sub-operations,
    payloads, results and histories skipped, never built)."""
    return cast(MonitorMessage, _monitor_decoder.decode(data))


def encode_message(message: ClientMessage | ServerMessage) -> bytes:
    return _encoder.encode(message)
