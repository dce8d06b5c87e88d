"""Takes a SingleInstance lock and holds it until killed: the crashed first instance of
the stale-lock test. ``python -m tests.gui.instance_holder FOLDER KEY``"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from jobdesk.gui.single_instance import SingleInstance


def main() -> int:
    app = QCoreApplication(sys.argv[:1])
    instance = SingleInstance(sys.argv[2], Path(sys.argv[1]))
    if not instance.acquire():
        return 1
    print("holding", flush=True)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
