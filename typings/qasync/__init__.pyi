# Type stubs for the parts of qasync jobdesk uses (qasync ships no annotations).
import asyncio
from types import TracebackType

from PySide6.QtCore import QCoreApplication

class QEventLoop(asyncio.SelectorEventLoop):
    def __init__(
        self, app: QCoreApplication | None = ..., set_running_loop: bool = ...
    ) -> None: ...
    def __enter__(self) -> QEventLoop: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
