"""Asking before a destructive action (cancel, force-fail), without a modal loop.

The question names the jobs (the first few names, then "and N more") and their count,
and the answer acts on exactly the keys captured when the operator asked: the selection
may change while the box is open (rows re-sorted, a click elsewhere), and the jobs sent
must be the ones the operator read. The box is opened with ``open()``: a modal
``exec()`` inside the qasync loop fails (docs/gui.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from PySide6.QtWidgets import QMessageBox, QWidget

from jobdesk.core.store import JobKey

NAMED: Final = 3
"""How many jobs the question names before "and N more"."""


def named_jobs(names: Sequence[str]) -> str:
    """``"render", "mail" and 3 more``."""
    quoted = [f"“{name}”" for name in names[:NAMED]]
    rest = len(names) - len(quoted)
    if rest:
        return f"{', '.join(quoted)} and {rest} more"
    if len(quoted) > 1:
        return f"{', '.join(quoted[:-1])} and {quoted[-1]}"
    return quoted[0] if quoted else ""


def confirm(
    parent: QWidget,
    *,
    verb: str,
    keys: Sequence[JobKey],
    names: Sequence[str],
    consequence: str,
    act: Callable[[list[JobKey]], object],
) -> QMessageBox:
    """Open a question "``verb`` N job(s)?" naming the jobs; Yes calls ``act`` with the
    keys as they were now. Returns the box (open, deleted once closed)."""
    captured = list(keys)
    count = len(captured)
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        f"{verb} {count} job{'s' if count != 1 else ''}",
        f"{verb} {named_jobs(names)}?",
        QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Yes,
        parent,
    )
    box.setInformativeText(consequence)
    yes = box.button(QMessageBox.StandardButton.Yes)
    yes.setText(f"{verb} {count}")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.accepted.connect(lambda: act(captured))
    box.finished.connect(box.deleteLater)
    box.open()
    return box
