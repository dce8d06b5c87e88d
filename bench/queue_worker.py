"""A jobdesk worker process for ``bench queue``: the sync SDK's loop at its defaults
(prefetch 4, complete-and-claim, one lease renewal a round), completing no-op jobs.

``python -m bench.queue_worker URL TOKEN NAME``; runs until killed.
"""

from __future__ import annotations

import sys

from jobdesk.sdk import JobdeskClient

JOB_TYPE = "noop"


def main(argv: list[str]) -> int:
    url, token, name = argv
    with JobdeskClient(url, token) as client:
        client.worker(name).run(lambda job: None, JOB_TYPE)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
