"""Every seed's word for every state maps to the canonical status, and back."""

from __future__ import annotations

import pytest

from jobdesk.protocol import Dialect, Status, parse_status, status_word

SEED_WORDS = {
    # seed 002
    "queued": Status.QUEUED,
    "processing": Status.RUNNING,
    "completed": Status.COMPLETED,
    "error": Status.FAILED,
    # seed 001 and 003
    "pending": Status.QUEUED,
    "running": Status.RUNNING,
    "retrying": Status.RETRYING,
    "failed": Status.FAILED,
    # seed 000
    "PENDING": Status.QUEUED,
    "PROCESSING": Status.RUNNING,
    "IN_PROGRESS": Status.RUNNING,
    "COMPLETED": Status.COMPLETED,
    "COMPLETE": Status.COMPLETED,
    "FAILED": Status.FAILED,
    "ERROR": Status.FAILED,
    # canonical
    "cancelled": Status.CANCELLED,
    "canceled": Status.CANCELLED,
    " Running ": Status.RUNNING,
}


@pytest.mark.parametrize(("word", "expected"), SEED_WORDS.items())
def test_every_seed_word_is_accepted(word: str, expected: Status) -> None:
    assert parse_status(word) is expected


def test_unknown_word_names_itself_and_the_accepted_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown status 'paused'.*pending"):
        parse_status("paused")


OUTPUT = {
    Dialect.SEED002: ["queued", "processing", "processing", "completed", "error", "error"],
    Dialect.SEED001: ["pending", "running", "running", "completed", "failed", "failed"],
    Dialect.SEED003: ["pending", "running", "retrying", "completed", "failed", "failed"],
    Dialect.SEED000: ["PENDING", "PROCESSING", "PROCESSING", "COMPLETED", "FAILED", "ERROR"],
    Dialect.CANONICAL: ["queued", "running", "retrying", "completed", "failed", "cancelled"],
}


@pytest.mark.parametrize("dialect", list(OUTPUT))
def test_each_dialect_answers_in_its_own_words(dialect: Dialect) -> None:
    assert [status_word(s, dialect) for s in Status] == OUTPUT[dialect]


@pytest.mark.parametrize("dialect", list(OUTPUT))
@pytest.mark.parametrize("status", list(Status))
def test_output_words_read_back_to_a_compatible_status(dialect: Dialect, status: Status) -> None:
    back = parse_status(status_word(status, dialect))
    assert back.is_terminal == status.is_terminal
