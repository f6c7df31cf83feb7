"""Moved to ``pipelines.reporting.spreadsheet``; this name stays for pages/data.py and
tests/test_bad_inputs.py until their owners import the new one."""

from pipelines.reporting.spreadsheet import FORMULA_STARTS, defuse, spreadsheet_safe_csv  # noqa: F401
