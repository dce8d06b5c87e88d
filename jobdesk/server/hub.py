"""Fan-out of committed changes to WebSocket subscribers.

Each subscriber has its own outbox (``outbox.py``), filter and dialect, and says whether
it reads ``job_updates`` (``batch``):

- A subscriber without ``batch`` gets one ``job_update`` or ``job_removed`` frame per
  change, as seed 003 says; each frame is encoded once per dialect for all of them.
- A subscriber with ``batch`` gets each commit's changes as segments (``frames.py``):
  every job once, in its newest state. The segments of one commit and dialect are built
  once for every unfiltered subscriber, from the job JSON the database row was written
  with: nothing is encoded per subscriber. A waiting segment takes in the next commits
  (newest state per job) while the subscriber's sender is busy, so a slow reader costs
  one frame per send, not one per change.

A subscriber whose outbox goes over its byte budget is cut off and closed with 1013; it
reconnects and replays from its last seq.
"""

from __future__ import annotations

from jobdesk.protocol import JobStats, JobStatsUpdate, encode_message, now_timestamp
from jobdesk.protocol.messages import QueueOverviewMessage
from jobdesk.protocol.overview import QueueOverview
from jobdesk.server.changes import Change
from jobdesk.server.frames import Frames, Segment, build_segments, json_text
from jobdesk.server.outbox import Subscriber
from jobdesk.server.state import matches


class Hub:
    def __init__(self, epoch: str) -> None:
        self._epoch = epoch
        self._epoch_json = json_text(epoch)
        self._subscribers: set[Subscriber] = set()
        self.overview_watchers: set[Subscriber] = set()
        """Sockets that sent ``subscribe_overview`` (with or without ``subscribe_jobs``)."""

    def add(self, subscriber: Subscriber) -> None:
        self._subscribers.add(subscriber)

    def discard(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def __len__(self) -> int:
        return len(self._subscribers)

    def publish(self, changes: list[Change]) -> None:
        if not self._subscribers or not changes:
            return
        frames = Frames(self._epoch, now_timestamp())
        after, last = changes[0].seq - 1, changes[-1].seq
        shared: dict[str, list[Segment]] = {}
        for sub in self._subscribers:
            if not sub.batch:
                for change in changes:
                    if change.job is not None and not matches(change.job, sub.filter):
                        continue
                    sub.offer(frames.text(change, sub.dialect))
                continue
            if sub.filter is None:
                segments = shared.get(sub.dialect)
                if segments is None:
                    segments = shared[sub.dialect] = build_segments(
                        changes, frames, self._epoch_json, sub.dialect, None, after
                    )
            else:
                segments = build_segments(
                    changes, frames, self._epoch_json, sub.dialect, sub.filter, after
                )
                if not segments[0].frames:
                    sub.extend(last)
                    continue
            for segment in segments:
                sub.offer_segment(segment)

    def publish_stats(self, stats: JobStats) -> None:
        frame = encode_message(JobStatsUpdate(stats=stats, timestamp=now_timestamp())).decode()
        for sub in self._subscribers:
            sub.offer_stats(frame)

    def publish_overview(self, overview: QueueOverview) -> None:
        """One frame for every watcher; an unsent older one is replaced, not queued."""
        frame = encode_message(QueueOverviewMessage(overview=overview)).decode()
        for sub in self.overview_watchers:
            sub.offer_overview(frame)
