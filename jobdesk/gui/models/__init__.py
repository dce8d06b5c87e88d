"""The job table's model layer: the store's jobs as Qt rows, sorted and filtered in
Python, applied in coalesced batches; and the delegate that draws progress bars."""

from jobdesk.gui.models.columns import HEADERS, Column
from jobdesk.gui.models.counts import StatusCounts
from jobdesk.gui.models.filtering import StatusFilter
from jobdesk.gui.models.job_table import JobTableModel
from jobdesk.gui.models.progress_delegate import ProgressDelegate
from jobdesk.gui.models.roles import Role

__all__ = [
    "HEADERS",
    "Column",
    "JobTableModel",
    "ProgressDelegate",
    "Role",
    "StatusCounts",
    "StatusFilter",
]
