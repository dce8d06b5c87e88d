"""Giving the C heap's free pages back to the system (glibc's malloc_trim)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Run in a fresh interpreter: glibc's heap (its mmap threshold adapts to what a process
# has freed before) would otherwise depend on every test that ran earlier in the worker.
SCENARIO = textwrap.dedent(
    """
    from jobdesk.core.heap import release_free_memory

    def rss_kb():
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise LookupError("VmRSS")

    # As a large response does: 64 KB chunks from the heap, a small allocation after
    # each (so the heap cannot shrink from its top), then the chunks freed.
    chunks, kept = [], []
    for n in range(2000):  # 128 MB
        chunks.append(bytes([n % 256]) * 65_536)
        kept.append(bytes([n % 256]) * 600)
    del chunks
    before = rss_kb()
    assert release_free_memory()
    print(before - rss_kb(), len(kept))
    """
)


def test_freed_chunks_held_by_the_heap_go_back_to_the_system() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCENARIO], capture_output=True, text=True, check=True, timeout=60
    )
    released_kb, kept = (int(word) for word in done.stdout.split())
    assert released_kb > 64_000  # at least half of the 128 MB came back
    assert kept == 2000
