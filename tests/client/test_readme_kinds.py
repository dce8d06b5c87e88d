"""The README's table of what each backend kind can do says what the code declares."""

from __future__ import annotations

from pathlib import Path

from jobdesk.client.capabilities import Can
from jobdesk.client.kinds import KINDS

README = Path(__file__).parents[2] / "README.md"
MARK = "<!-- capabilities:"


def test_the_readme_capability_table_is_the_kinds_own() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(MARK)) + 1
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    columns = [Can[name.upper().replace("-", "_")] for name in header[1:]]
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = [cell == "yes" for cell in cells[1:]]
    assert set(rows) == set(KINDS)
    for name, kind in KINDS.items():
        assert rows[name] == [can in kind.capabilities for can in columns], name
    assert set(columns) == set(Can)  # every capability has its column
