"""JobdeskClient: the synchronous entry point of the worker SDK, the thread shell over
the SDK's core (see ``steps`` and docs/sdk.md)."""

from __future__ import annotations

from typing import TypeVar

from jobdesk.sdk.claimed import ClaimedJob
from jobdesk.sdk.clientbase import ClientBase, Parts, quietly
from jobdesk.sdk.reporter import JobReporter
from jobdesk.sdk.sender import Sender
from jobdesk.sdk.steps import Steps
from jobdesk.sdk.threads import ThreadShell
from jobdesk.sdk.worker import Worker

R = TypeVar("R")


class JobdeskClient(ClientBase[JobReporter, ClaimedJob, Worker, JobReporter]):
    """Talks to one jobdesk server with one bearer token; share it between threads.

    Its reporters share one background sender: what they report at about the same time
    goes to the server as one batch request (``batch=False``: one request per report,
    each reporter with a thread of its own, as for a server without batches). The
    options are ``ClientOptions``: ``timeout``, ``retry``, ``flush_interval``, ``batch``.

    ``close`` (or leaving ``with``) first ends its workers' loops and closes the reporters
    still open, delivering what they hold, so a worker's last progress is not lost when
    it forgets to close one (a claimed job left open is left to its lease).
    """

    _parts = Parts(ThreadShell, JobReporter, ClaimedJob, Worker)

    def _run(self, steps: Steps[R]) -> R:
        return self._shell.run(steps)  # type: ignore[no-any-return]

    def _started(self, steps: Steps[str]) -> JobReporter:
        return self.reporter(self._run(steps))

    def _shared_sender(self) -> Sender:
        return Sender(self._shell, batch=True)

    def close(self) -> None:
        for reporter in self._leaving():
            with quietly(reporter):
                reporter.close()
        if self._sender is not None:
            self._sender.stop()
        self._shell.close()

    def __enter__(self) -> JobdeskClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
