"""``python -m bench NAME``: run one benchmark; with no name, list them."""

from __future__ import annotations

import importlib
import sys

BENCHES = {
    "gui": ("bench.gui_ingest", "The job table: updates/s and event-loop stalls at 100,000 jobs"),
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in BENCHES:
        print("usage: python -m bench NAME\n")
        for name, (_, what) in BENCHES.items():
            print(f"  {name:8} {what}")
        return 2
    module = importlib.import_module(BENCHES[argv[0]][0])
    result: int = module.main()
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
