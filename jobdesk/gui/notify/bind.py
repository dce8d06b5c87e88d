"""From the policy's ``Notice`` to a ``Notification`` whose buttons do something.

The app gives what an operator can do from a notification: open a job (show the window
and select it), force-fail one, and acknowledge the failures a notice tells of.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from jobdesk.core.notice import Notice, NoticeAction
from jobdesk.core.store import JobKey
from jobdesk.gui.notify.base import Action, Notification

OpenJob = Callable[[JobKey | None], None]
"""Show the window and select the job (None: just show the window)."""
ForceFail = Callable[[JobKey], None]
Acknowledge = Callable[[tuple[JobKey, ...]], None]


def bind(
    notice: Notice,
    open_job: OpenJob,
    force_fail: ForceFail,
    acknowledge: Acknowledge | None = None,
    *,
    tag: int = 0,
) -> Notification:
    """``acknowledge`` None: no Acknowledge button (nothing to answer it)."""
    key = notice.job
    actions: list[Action] = []
    for action in notice.actions:
        if action is NoticeAction.OPEN:
            actions.append(Action("Open", partial(open_job, key), default=True))
        elif action is NoticeAction.FORCE_FAIL and key is not None:
            actions.append(Action("Force-fail", partial(force_fail, key)))
        elif action is NoticeAction.ACKNOWLEDGE and acknowledge is not None and notice.failures:
            actions.append(Action("Acknowledge", partial(acknowledge, notice.failures)))
    return Notification(notice.title, notice.body, notice.urgency, tuple(actions), tag)
