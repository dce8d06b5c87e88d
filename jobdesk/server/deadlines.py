"""What the sweeper must look at, in the order its time comes: heaps of the live set.

Two heaps, kept by ``ServerState`` beside the claim heaps:

- **running**: each running job once, keyed on a moment at or before the first of its
  timeout, lease expiry and stale deadline. A job enters with the key ``-inf`` ("look at
  me at the next sweep": the heap knows no configuration, so the sweeper works out the
  real moment and files the job again under it). A report that moves the moment later
  (a heartbeat, a progress) costs nothing here: the job is looked at when its old key
  comes up and filed again under the new moment. Only a change that can bring it
  *earlier* (a stale job reporting again, a new attempt) files it again at once.
- **finished**: each finished job of the live set keyed on when it finished, oldest
  first: retention removes from the top (beyond the count, or too old).

A sweep therefore costs what falls due, not a scan of every running and finished job
(at 1,000,000 jobs the scan stalled the loop 260 ms a sweep with nothing to do). Entries
are never removed in place: one whose job ended, left or was filed again is dropped when
it reaches the top. A sweep that takes entries gives back (``give_back``) those whose
rule it applied, keyed on the sweep's moment, after its command ran: should the
transaction roll back, they come up again at the next sweep; once it committed, they are
dropped there, the job no longer being what the entry was for.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from typing import Final

from jobdesk.protocol import Job, Status

Entry = tuple[float, str]
"""(moment, job id)."""

COMPACT_SLACK: Final = 1024
"""A heap is rebuilt from its live keys when it holds twice as many entries as jobs
plus this: stale entries cost memory, never correctness."""


class Deadlines:
    __slots__ = ("_finished", "_finished_keys", "_running", "_running_keys")

    def __init__(self) -> None:
        self._running: list[Entry] = []
        self._running_keys: dict[str, float] = {}
        """The key of every running job's one valid entry; another entry is stale."""
        self._finished: list[Entry] = []
        self._finished_keys: dict[str, float] = {}

    def update(self, old: Job | None, new: Job | None, finished_s: float | None) -> None:
        """A committed change of a job (``new`` None: removed from the live set)."""
        if new is None:
            if old is not None:
                self._running_keys.pop(old.id, None)
                self._finished_keys.pop(old.id, None)
            return
        if new.status is Status.RUNNING:
            if old is None or old.status is not Status.RUNNING or (old.stale and not new.stale):
                self.file_running(new.id, -math.inf)
        else:
            self._running_keys.pop(new.id, None)
        if new.status.is_terminal and finished_s is not None:
            if self._finished_keys.get(new.id) != finished_s:
                self._finished_keys[new.id] = finished_s
                _push(self._finished, (finished_s, new.id), self._finished_keys)
        else:
            self._finished_keys.pop(new.id, None)

    # --- running jobs ------------------------------------------------------------------

    def file_running(self, job_id: str, moment: float) -> None:
        """Look at running job ``job_id`` again at ``moment`` (if not sooner already)."""
        known = self._running_keys.get(job_id)
        if known is not None and known <= moment:
            return
        self._running_keys[job_id] = moment
        _push(self._running, (moment, job_id), self._running_keys)

    def next_running(self, now_s: float) -> str | None:
        """The running job whose moment came first, if one has come; taken out of the
        heap (file it again, or ``give_back`` it)."""
        heap, keys = self._running, self._running_keys
        while heap and heap[0][0] <= now_s:
            moment, job_id = heapq.heappop(heap)
            if keys.get(job_id) == moment:
                del keys[job_id]
                return job_id
        return None

    # --- finished jobs -----------------------------------------------------------------

    def finished_count(self) -> int:
        return len(self._finished_keys)

    def take_finished(self, before_s: float, beyond: int, limit: int) -> list[Entry]:
        """Up to ``limit`` of the oldest finished jobs that retention removes: those
        finished before ``before_s``, and the oldest while more than ``beyond`` are kept."""
        taken: list[Entry] = []
        heap, keys = self._finished, self._finished_keys
        while heap and len(taken) < limit:
            finished_s, job_id = heap[0]
            if keys.get(job_id) != finished_s:
                heapq.heappop(heap)
                continue
            if finished_s >= before_s and len(keys) <= beyond:
                break
            heapq.heappop(heap)
            del keys[job_id]
            taken.append((finished_s, job_id))
        return taken

    def give_back(self, running: Iterable[Entry] = (), finished: Iterable[Entry] = ()) -> None:
        """Entries a sweep took and acted on, back in their heaps (see the module's doc)."""
        for moment, job_id in running:
            self.file_running(job_id, moment)
        for finished_s, job_id in finished:
            if job_id not in self._finished_keys:
                self._finished_keys[job_id] = finished_s
                _push(self._finished, (finished_s, job_id), self._finished_keys)


def _push(heap: list[Entry], entry: Entry, keys: dict[str, float]) -> None:
    heapq.heappush(heap, entry)
    if len(heap) > 2 * len(keys) + COMPACT_SLACK:
        heap[:] = [(moment, job_id) for job_id, moment in keys.items()]
        heapq.heapify(heap)
