"""Giving the C heap's free pages back to the system (glibc's malloc_trim)."""

from __future__ import annotations

import sys

import pytest

from jobdesk.core.heap import release_free_memory


def rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise LookupError("VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_freed_chunks_held_by_the_heap_go_back_to_the_system() -> None:
    """As a large response does: 64 KB chunks from the heap, a small allocation after
    each (so the heap cannot shrink from its top), then the chunks freed."""
    chunks: list[bytes] = []
    kept: list[bytes] = []
    for n in range(2000):  # 128 MB
        chunks.append(bytes([n % 256]) * 65_536)
        kept.append(bytes([n % 256]) * 600)
    del chunks
    before = rss_kb()
    assert release_free_memory()
    assert before - rss_kb() > 64_000  # kB: at least half of it came back
    assert len(kept) == 2000
