"""Files users download: CSV that is safe to open in a spreadsheet.

A cell that starts with ``= + - @`` (or a tab or carriage return) is a formula to Excel,
LibreOffice and Google Sheets: an exported vendor value such as ``=HYPERLINK(...)`` would
run when the analyst opens the file. Such text cells are prefixed with an apostrophe, which
spreadsheets show as plain text (OWASP "CSV injection"). Numbers are left as numbers.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value):
    """Text that a spreadsheet would read as a formula, made plain text; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_safe_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads the accents right) and every text cell defused."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]) and not pd.api.types.is_datetime64_any_dtype(safe[column]):
            safe[column] = safe[column].map(defuse)
    safe.columns = [defuse(str(c)) for c in safe.columns]
    # CRLF (RFC 4180) also makes the csv writer quote a cell holding a lone carriage return.
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
