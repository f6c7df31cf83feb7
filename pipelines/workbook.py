"""Read a spreadsheet (XLSX, XLSM, XLS, ODS) into a UTF-8 CSV, inside a memory ceiling.

A workbook is a zip of XML, and its reader (calamine) allocates the sheet's whole used range
as one dense block before the first row is seen: a 1.6 KB file with cells A1 and XFD1048576
asks for 512 GiB, and the allocation failure aborts the process. So the conversion runs in a
child process (``python -m pipelines.workbook``) whose address space is capped: a hostile or
merely enormous workbook ends that child, never the app or the CLI, and its parent reports
a clear error. Before that, two cheap checks read only the zip's directory and each sheet's
first bytes: the inflated size and the used range the sheet declares.
"""

from __future__ import annotations

import csv
import datetime
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from pipelines.limits import MAX_COLUMNS, MEMORY_LIMIT_MB

# The XML a workbook may inflate to. A 200 MB upload (the app's limit) of real exports inflates
# 5-10 times; a zip bomb inflates a thousand times.
MAX_INFLATED_BYTES = 3 * 1024**3
# The largest sheet read (the widest is limits.MAX_COLUMNS).
MAX_CELLS = 60_000_000  # ~2 GB as the reader's dense 32-byte cells
# Each sheet's XML starts with <dimension ref="A1:D20"/>: its used range, read from this many bytes.
DIMENSION_PROBE_BYTES = 4096
# The child's exit status for "a clear refusal, the message is on stderr".
REFUSED = 3


class WorkbookError(Exception):
    """The workbook cannot be read; the message says why in a user's words."""


def to_csv(path: Path, out: Path, sheet: str | None = None) -> Path:
    """Write the sheet that holds the data (``sheet``, or the one with most rows) as UTF-8 CSV."""
    check_declared_size(path)
    done = subprocess.run([sys.executable, "-m", "pipelines.workbook", str(path), str(out), sheet or ""],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    if done.returncode == 0:
        return out
    out.unlink(missing_ok=True)
    if done.returncode == REFUSED:
        raise WorkbookError(done.stderr.strip().splitlines()[-1])
    wanted = re.search(r"memory allocation of (\d+) bytes failed", done.stderr)
    if wanted or "MemoryError" in done.stderr or done.returncode < 0:
        need = f" (it asked for {int(wanted.group(1)) / 1024**3:,.0f} GiB)" if wanted else ""
        raise WorkbookError(f"the workbook needs more memory than the {MEMORY_LIMIT_MB:,} MB allowed for reading one "
                            f"file{need}: a sheet's used range is far larger than its data. Save the sheet as CSV, "
                            f"or raise WINWIN_MEMORY_LIMIT_MB if it really is that large.")
    raise WorkbookError(f"cannot read the workbook: {(done.stderr.strip().splitlines() or ['no message'])[-1][:300]}")


def check_declared_size(path: Path) -> None:
    """Refuse, from the zip's directory alone, a workbook that inflates too far or declares a
    sheet wider or larger than any export (XLS is not a zip: the child's ceiling guards it)."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as book:
            members = book.infolist()
            inflated = sum(member.file_size for member in members)
            if inflated > MAX_INFLATED_BYTES:
                raise WorkbookError(f"the workbook inflates to {inflated / 1024**3:,.1f} GB, more than the "
                                    f"{MAX_INFLATED_BYTES / 1024**3:,.0f} GB a workbook may hold; "
                                    "save the sheet as CSV")
            for member in members:
                if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
                    with book.open(member) as sheet_xml:
                        _check_dimension(sheet_xml.read(DIMENSION_PROBE_BYTES).decode("utf-8", "replace"))
    except (zipfile.BadZipFile, OSError) as exc:
        raise WorkbookError(f"cannot read the workbook: {exc}") from exc


def _check_dimension(head: str) -> None:
    declared = re.search(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"', head)
    if not declared or not declared.group(3):
        return
    first_col, first_row, last_col, last_row = declared.groups()
    columns = _column_number(last_col) - _column_number(first_col) + 1
    rows = int(last_row) - int(first_row) + 1
    if columns > MAX_COLUMNS or columns * rows > MAX_CELLS:
        used = f"{first_col}{first_row}:{last_col}{last_row}"
        raise WorkbookError(f"a sheet's used range is {used} ({columns:,} columns × "
                            f"{rows:,} rows); Win-Win reads sheets up to {MAX_COLUMNS:,} columns and "
                            f"{MAX_CELLS:,} cells. Delete the stray cells far from the data, or save the sheet as CSV")


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _cell_text(value) -> str:
    """A cell as text: dates in ISO (every date column also accepts ISO), whole numbers bare."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _convert(path: str, out: str, sheet: str) -> None:
    """In the child: cap memory, pick the sheet, stream its rows to CSV."""
    import resource

    limit = MEMORY_LIMIT_MB * 1024**2
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(path)
    except Exception as exc:  # calamine raises its own error types per format
        raise WorkbookError(f"cannot read the workbook: {exc}") from exc
    names = book.sheet_names
    if sheet and sheet not in names:
        raise WorkbookError(f"no sheet {sheet!r}; sheets are {names}")
    chosen = book.get_sheet_by_name(sheet) if sheet else max((book.get_sheet_by_name(n) for n in names),
                                                                key=lambda s: s.height, default=None)
    if chosen is None:
        raise WorkbookError("the workbook has no sheets")
    if chosen.width > MAX_COLUMNS:
        raise WorkbookError(f"sheet {chosen.name!r} is {chosen.width:,} columns wide; "
                            f"Win-Win reads up to {MAX_COLUMNS:,}")
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        for row in chosen.iter_rows():
            writer.writerow([_cell_text(v) for v in row])


if __name__ == "__main__":
    try:
        _convert(*sys.argv[1:4])
    except WorkbookError as refused:
        print(refused, file=sys.stderr)
        sys.exit(REFUSED)
