"""The visible rows in view order: a sorted list of blocks (no Qt).

Each row is an ``(sort value, key)`` tuple; the key makes every entry unique, so ties
always fall the same way and a row is found again by bisection. Entries are kept in
ascending order in blocks of about ``LOAD`` (the layout of ``sortedcontainers``): a
job whose sort value changed is taken out of its block and bisected into another, a
few microseconds however many rows there are. A descending view reads the order
back to front, so flipping it costs nothing.

Measured at 50,000 rows while 50,000 updates/s arrive: re-sorting one flat list per
batch (timsort merging the changed entries back) cost 5-10 ms per batch whatever its
size, because it touches every row, and the rows' tuples lie all over the heap. Moving
only the changed entries costs nothing per batch and ~3 us per change.

Rows may also sit in an unsorted *tail* at the view's end: new rows inserted there in
one block before a batch's re-sort places them (``settle``), or rows moved there by
``drop`` to be removed in one block after it.

``hold()`` keeps the order still while the operator aims at a row (the pointer over the
table, a context menu open): ``move`` then only remembers each row's new entry, new rows
wait in the tail, and ``release()`` puts everything in its place at once. A row
re-sorted between aim and click was how a force-fail once hit the wrong job.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain

from jobdesk.core.store import JobKey
from jobdesk.gui.models.columns import Entry

LOAD = 1000
"""Target entries per block; a block twice as long is split."""
BULK_FRACTION = 8
"""Placing or dropping more than 1/BULK_FRACTION of the rows at once rebuilds the blocks
from one sorted list instead of moving entries one by one."""


class SortedRows:
    def __init__(self) -> None:
        self._blocks: list[list[Entry]] = []
        self._maxes: list[Entry] = []
        """The last entry of each block, to bisect for the block an entry belongs in."""
        self._starts: list[int] | None = []
        """The position of each block's first entry; None until recounted."""
        self._size = 0
        """Entries in the blocks (the tail excluded)."""
        self._tail: list[Entry] = []
        self._entries: dict[JobKey, Entry] = {}
        self._dropped = 0
        """How many entries at the tail's end ``drop`` put there for ``remove_tail``."""
        self._deferred: dict[JobKey, Entry] | None = None
        """While held: the new entry of each row whose move waits; None when not held."""
        self.descending = False

    # --- reading -----------------------------------------------------------------------

    def __len__(self) -> int:
        return self._size + len(self._tail)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[JobKey]:
        """The shown keys, in no particular order."""
        return iter(self._entries)

    @property
    def entries(self) -> Mapping[JobKey, Entry]:
        """The entry of every shown key (read-only)."""
        return self._entries

    def _block_starts(self) -> list[int]:
        starts = self._starts
        if starts is None:
            starts, total = [], 0
            for block in self._blocks:
                starts.append(total)
                total += len(block)
            self._starts = starts
        return starts

    @property
    def held(self) -> bool:
        return self._deferred is not None

    def key_at(self, row: int) -> JobKey:
        """The key in view row ``row`` (``row >= 0``); IndexError past the last row."""
        size = self._size
        if row >= size:
            return self._tail[row - size][1]
        position = size - 1 - row if self.descending else row
        starts = self._starts if self._starts is not None else self._block_starts()
        block = bisect_right(starts, position) - 1
        return self._blocks[block][position - starts[block]][1]

    def row_of(self, key: JobKey) -> int:
        """The view row of ``key``, or -1 if it is not shown."""
        entry = self._entries.get(key)
        if entry is None:
            return -1
        block = bisect_left(self._maxes, entry)
        if block < len(self._blocks):
            found = self._blocks[block]
            offset = bisect_left(found, entry)
            if offset < len(found) and found[offset] is entry:
                position = self._block_starts()[block] + offset
                return self._size - 1 - position if self.descending else position
        for offset, waiting in enumerate(self._tail):
            if waiting is entry:
                return self._size + offset
        raise KeyError(key)

    def row_for(self, entry: Entry) -> int:
        """The view row ``insert`` would give ``entry`` (with no tail pending)."""
        block = bisect_left(self._maxes, entry)
        if block == len(self._blocks):
            position = self._size
        else:
            position = self._block_starts()[block] + bisect_left(self._blocks[block], entry)
        return self._size - position if self.descending else position

    # --- changing ----------------------------------------------------------------------

    def _add(self, entry: Entry) -> None:
        blocks, maxes = self._blocks, self._maxes
        if not blocks:
            blocks.append([entry])
            maxes.append(entry)
        else:
            index = bisect_left(maxes, entry)
            if index == len(blocks):
                index -= 1
                blocks[index].append(entry)
                maxes[index] = entry
            else:
                insort(blocks[index], entry)
            block = blocks[index]
            if len(block) > 2 * LOAD:
                half = block[LOAD:]
                del block[LOAD:]
                blocks.insert(index + 1, half)
                maxes[index] = block[-1]
                maxes.insert(index + 1, half[-1])
        self._size += 1
        self._starts = None

    def _discard(self, entry: Entry) -> None:
        blocks, maxes = self._blocks, self._maxes
        index = bisect_left(maxes, entry)
        block = blocks[index]
        offset = bisect_left(block, entry)
        if block[offset] is not entry:
            raise KeyError(entry[1])
        del block[offset]
        if not block:
            del blocks[index]
            del maxes[index]
        elif offset == len(block):
            maxes[index] = block[-1]
        self._size -= 1
        self._starts = None

    def _build(self, ordered: list[Entry]) -> None:
        """Blocks from an ascending list of every entry (the tail excluded)."""
        self._blocks = [ordered[start : start + LOAD] for start in range(0, len(ordered), LOAD)]
        self._maxes = [block[-1] for block in self._blocks]
        self._size = len(ordered)
        self._starts = None

    def _take(self, entry: Entry) -> None:
        """Take ``entry`` out of the blocks, or out of the tail where a hold left it."""
        for offset, waiting in enumerate(self._tail):
            if waiting is entry:
                del self._tail[offset]
                return
        self._discard(entry)

    def hold(self) -> None:
        """Keep the order as it is until ``release``."""
        if self._deferred is None:
            self._deferred = {}

    def release(self) -> None:
        """Give the waiting rows their new entries and every row its sorted place."""
        deferred, self._deferred = self._deferred or {}, None
        if self._tail and deferred:
            self._tail = [deferred.pop(entry[1], entry) for entry in self._tail]
            self._entries.update((entry[1], entry) for entry in self._tail)
        self.move(deferred.values())
        self.settle()

    def insert(self, entry: Entry) -> None:
        """Insert a new row at its sorted place."""
        self._add(entry)
        self._entries[entry[1]] = entry

    def remove(self, key: JobKey) -> None:
        """Remove a row from the sorted rows."""
        entry = self._entries.pop(key)
        if self._deferred is not None:
            self._deferred.pop(key, None)
            self._take(entry)
        else:
            self._discard(entry)

    def move(self, entries: Iterable[Entry]) -> None:
        """Give shown keys new entries (new sort values), each in its new place.

        ``_discard`` and ``_add`` written out, as this runs for every changed row. While
        held, the entries only wait for ``release``."""
        if self._deferred is not None:
            self._deferred.update((entry[1], entry) for entry in entries)
            return
        known, blocks, maxes = self._entries, self._blocks, self._maxes
        for entry in entries:
            old = known[entry[1]]
            index = bisect_left(maxes, old)
            block = blocks[index]
            offset = bisect_left(block, old)
            if block[offset] is not old:
                raise KeyError(entry[1])
            del block[offset]
            if not block:
                del blocks[index]
                del maxes[index]
            elif offset == len(block):
                maxes[index] = block[-1]
            index = bisect_left(maxes, entry)
            if index == len(blocks):
                if not blocks:
                    blocks.append([])
                    maxes.append(entry)
                index -= 1
                block = blocks[index]
                block.append(entry)
                maxes[index] = entry
            else:
                block = blocks[index]
                insort(block, entry)
            if len(block) > 2 * LOAD:
                half = block[LOAD:]
                del block[LOAD:]
                blocks.insert(index + 1, half)
                maxes[index] = block[-1]
                maxes.insert(index + 1, half[-1])
            known[entry[1]] = entry
        self._starts = None

    def append_tail(self, entries: Iterable[Entry]) -> None:
        """New rows at the view's end, in no order until ``settle``."""
        added = list(entries)
        self._tail += added
        self._entries.update((entry[1], entry) for entry in added)

    def settle(self) -> None:
        """Put the tail's rows in their sorted places."""
        tail, self._tail = self._tail, []
        if len(tail) * BULK_FRACTION > self._size:
            tail.sort()
            flat = list(chain.from_iterable(self._blocks))
            flat += tail
            flat.sort()  # two sorted runs: one merge
            self._build(flat)
        else:
            for entry in tail:
                self._add(entry)

    def drop(self, keys: Iterable[JobKey]) -> None:
        """Move the rows of ``keys`` to the tail's end, for ``remove_tail`` to remove them."""
        dropped = [self._entries[key] for key in keys]
        if self._deferred is not None:
            for entry in dropped:
                self._deferred.pop(entry[1], None)
                self._take(entry)
        elif len(dropped) * BULK_FRACTION > self._size:
            leaving = set(map(id, dropped))
            self._build(
                [entry for entry in chain.from_iterable(self._blocks) if id(entry) not in leaving]
            )
        else:
            for entry in dropped:
                self._discard(entry)
        self._tail += dropped
        self._dropped = len(dropped)

    def remove_tail(self) -> None:
        """Forget the rows ``drop`` moved to the tail's end."""
        cut = len(self._tail) - self._dropped
        for entry in self._tail[cut:]:
            del self._entries[entry[1]]
        del self._tail[cut:]
        self._dropped = 0

    def rebuild(self, entries: list[Entry]) -> None:
        """Replace every row (a new sort column, or the first rows of an empty table)."""
        entries.sort()
        self._build(entries)
        self._tail = []
        if self._deferred is not None:
            self._deferred = {}
        self._entries = {entry[1]: entry for entry in entries}
