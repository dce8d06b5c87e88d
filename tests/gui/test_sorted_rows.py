"""SortedRows against a plain sorted list, through random batches of every operation."""

from __future__ import annotations

import random

import pytest

from jobdesk.core.store import JobKey
from jobdesk.gui.models import sorted_rows
from jobdesk.gui.models.columns import Entry
from jobdesk.gui.models.sorted_rows import SortedRows


def key(number: int) -> JobKey:
    return ("srv", f"j{number:05d}")


def view_order(reference: dict[JobKey, Entry], descending: bool) -> list[JobKey]:
    return [entry[1] for entry in sorted(reference.values(), reverse=descending)]


def check(rows: SortedRows, reference: dict[JobKey, Entry]) -> None:
    expected = view_order(reference, rows.descending)
    assert [rows.key_at(row) for row in range(len(rows))] == expected
    assert [rows.row_of(k) for k in expected] == list(range(len(expected)))
    assert dict(rows.entries) == reference
    with pytest.raises(IndexError):
        rows.key_at(len(rows))


@pytest.mark.parametrize("seed", range(6))
def test_random_batches_keep_the_rows_equal_to_a_sorted_list(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    monkeypatch.setattr(sorted_rows, "LOAD", 8)  # small blocks: splits and empty blocks happen
    rng = random.Random(seed)
    rows = SortedRows()
    reference: dict[JobKey, Entry] = {}
    numbers = iter(range(100_000))
    for _ in range(60):
        shown = list(reference)
        operation = rng.choice(["insert", "tail", "move", "remove", "drop", "flip", "rebuild"])
        if operation == "insert":
            entry = (rng.uniform(0, 100), key(next(numbers)))
            row = rows.row_for(entry)
            rows.insert(entry)
            reference[entry[1]] = entry
            assert rows.row_of(entry[1]) == row
        elif operation == "tail":
            new = [
                (float(rng.randrange(20)), key(next(numbers))) for _ in range(rng.randrange(1, 40))
            ]
            before = [rows.key_at(row) for row in range(len(rows))]
            rows.append_tail(new)
            assert [rows.key_at(row) for row in range(len(rows))] == before + [e[1] for e in new]
            assert rows.row_of(new[-1][1]) == len(rows) - 1
            rows.settle()
            reference.update((entry[1], entry) for entry in new)
        elif operation == "move" and shown:
            moving = rng.sample(shown, rng.randrange(1, len(shown) + 1))
            entries = [(rng.uniform(0, 100), k) for k in moving]
            rows.move(entries)
            reference.update((entry[1], entry) for entry in entries)
        elif operation == "remove" and shown:
            removed = rng.choice(shown)
            rows.remove(removed)
            del reference[removed]
        elif operation == "drop" and shown:
            gone = rng.sample(shown, rng.randrange(1, len(shown) + 1))
            rows.drop(gone)
            kept = view_order(
                {k: e for k, e in reference.items() if k not in gone}, rows.descending
            )
            assert [rows.key_at(row) for row in range(len(kept))] == kept
            assert [rows.key_at(row) for row in range(len(kept), len(rows))] == gone
            rows.remove_tail()
            for k in gone:
                del reference[k]
        elif operation == "flip":
            rows.descending = not rows.descending
        elif operation == "rebuild":
            reference = {k: (rng.uniform(0, 100), k) for k in shown}
            rows.rebuild(list(reference.values()))
        check(rows, reference)


def test_an_empty_table_and_unknown_keys() -> None:
    rows = SortedRows()
    assert len(rows) == 0
    assert rows.row_of(key(1)) == -1
    assert rows.row_for((1.0, key(1))) == 0
    rows.settle()
    rows.move([])
    assert list(rows) == []


def test_ties_fall_by_key_and_descending_mirrors_them() -> None:
    rows = SortedRows()
    rows.rebuild([(5.0, key(2)), (5.0, key(1)), (1.0, key(3))])
    assert [rows.key_at(row) for row in range(3)] == [key(3), key(1), key(2)]
    rows.descending = True
    assert [rows.key_at(row) for row in range(3)] == [key(2), key(1), key(3)]
    assert rows.row_for((9.0, key(9))) == 0


@pytest.mark.parametrize("seed", range(4))
def test_a_held_order_stays_put_through_every_operation_and_settles_on_release(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    monkeypatch.setattr(sorted_rows, "LOAD", 8)
    rng = random.Random(seed)
    rows = SortedRows()
    reference: dict[JobKey, Entry] = {key(n): (rng.random(), key(n)) for n in range(60)}
    rows.rebuild(list(reference.values()))
    rows.hold()
    assert rows.held
    order = [rows.key_at(row) for row in range(len(rows))]
    fresh = iter(range(1000, 2000))
    for _ in range(30):
        kind = rng.random()
        if kind < 0.5:  # moves wait
            moved = [(rng.random(), k) for k in rng.sample(sorted(reference), 5)]
            rows.move(moved)
            reference.update((entry[1], entry) for entry in moved)
        elif kind < 0.7:  # new rows wait at the end
            added = [(rng.random(), key(next(fresh))) for _ in range(3)]
            rows.append_tail(added)
            reference.update((entry[1], entry) for entry in added)
            order += [entry[1] for entry in added]
        elif kind < 0.85:  # one row removed (maybe a waiting one)
            gone = rng.choice(sorted(reference))
            rows.remove(gone)
            del reference[gone]
            order.remove(gone)
        else:  # a block of rows removed the way the model does it
            gone_keys = rng.sample(sorted(reference), 3)
            rows.drop(gone_keys)
            rows.remove_tail()
            for gone in gone_keys:
                del reference[gone]
                order.remove(gone)
        assert [rows.key_at(row) for row in range(len(rows))] == order  # held still
        assert [rows.row_of(k) for k in order] == list(range(len(order)))
    rows.release()
    assert not rows.held
    check(rows, reference)
