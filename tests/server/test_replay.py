"""A replay is read from the committed state a frame at a time, covering exactly the
seqs up to where the subscriber joined, however the state changes meanwhile."""

from __future__ import annotations

from jobdesk.protocol import Job, JobFilter, JobRemoved, JobUpdate, JobUpdates
from jobdesk.protocol import decode_server_message as decode
from jobdesk.server.changes import Change
from jobdesk.server.frames import REPLAY_CHUNK
from jobdesk.server.replay import Replay
from jobdesk.server.state import ServerState
from jobdesk.server.storage import StoredState

NOW = "2026-11-22T10:00:00.123Z"


def job(job_id: str, version: int = 1, owner: str = "w1") -> Job:
    return Job(id=job_id, name=job_id, owner=owner, version=version, created_at=NOW, updated_at=NOW)


def state_of(count: int) -> ServerState:
    jobs = [(job(f"job_{n:05}"), n) for n in range(1, count + 1)]
    return ServerState(StoredState(epoch="e", seq=count, history_floor=0, jobs=jobs))


def frames_of(replay: Replay) -> list[JobUpdates[Job]]:
    frames = []
    while (text := replay.next_frame()) is not None:
        message = decode(text)
        assert isinstance(message, JobUpdates)
        frames.append(message)
    return frames


def test_a_batch_replay_comes_in_chained_chunks_ending_where_it_was_told() -> None:
    state = state_of(REPLAY_CHUNK + 5)
    replay = Replay(state, 0, dialect="canonical", wanted=None, batch=True)
    first, second = frames_of(replay)
    assert (first.after, len(first.updates)) == (0, REPLAY_CHUNK)
    assert (second.after, second.seq, len(second.updates)) == (first.seq, state.seq, 5)


def test_changes_after_the_replay_began_are_left_to_the_live_frames() -> None:
    state = state_of(10)
    replay = Replay(state, 4, dialect="canonical", wanted=None, batch=False)
    first = decode(replay.next_frame() or "")
    assert isinstance(first, JobUpdate)
    assert first.job.id == "job_00005"
    # job 7 changes and job 9 is removed after the subscriber joined at seq 10
    state.install(
        [Change(11, "job_00007", job("job_00007", 2)), Change(12, "job_00009", None)], 12, None
    )
    rest = []
    while (text := replay.next_frame()) is not None:
        rest.append(decode(text))
    ids = [m.job.id for m in rest if isinstance(m, JobUpdate)]
    assert ids == ["job_00006", "job_00008", "job_00010"]
    assert not [m for m in rest if isinstance(m, JobRemoved)]


def test_a_filtered_replay_that_matches_nothing_still_says_how_far_it_goes() -> None:
    state = state_of(3)
    replay = Replay(state, 1, dialect="canonical", wanted=JobFilter(owner="nobody"), batch=True)
    (only,) = frames_of(replay)
    assert (only.after, only.seq, only.updates) == (1, 3, [])


def test_removals_after_since_are_replayed() -> None:
    state = state_of(3)
    state.install([Change(4, "job_00002", None)], 4, None)
    replay = Replay(state, 0, dialect="canonical", wanted=JobFilter(owner="nobody"), batch=True)
    (only,) = frames_of(replay)
    assert [m.job_id for m in only.updates if isinstance(m, JobRemoved)] == ["job_00002"]
    assert only.seq == 4


def test_nothing_to_replay_sends_nothing() -> None:
    state = state_of(3)
    assert Replay(state, 3, dialect="canonical", wanted=None, batch=True).next_frame() is None
