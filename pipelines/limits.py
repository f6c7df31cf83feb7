"""How much one load may use: the bounds every input is held to, before it is read.

One ceiling, ``WINWIN_MEMORY_LIMIT_MB`` (default 4 GiB), is shared by the workbook reader (a
child process capped at it), DuckDB's buffer manager during a build (half of it; DuckDB spills
to disk beyond), and the size check of a CSV before it is read.
"""

from __future__ import annotations

import os

DEFAULT_MEMORY_LIMIT_MB = 4096
MEMORY_LIMIT_MB = int(os.environ.get("WINWIN_MEMORY_LIMIT_MB", DEFAULT_MEMORY_LIMIT_MB))
# The widest export read. Real exports are tens of columns wide (Jira's "all fields" export
# ~400); 20,000 columns is an attack on memory, not data (8 MB of them took 2.4 GiB).
MAX_COLUMNS = 2_000
# Peak memory of loading one file, per byte of its CSV: validation copies the rows into pandas
# (measured: a 209 MiB Salesforce export peaked at 1.6 GiB, 7.8 bytes per byte; benchmarks/).
LOAD_BYTES_PER_FILE_BYTE = 8


def check_load_size(name: str, csv_bytes: int) -> str | None:
    """Why a file of ``csv_bytes`` (as CSV) would not fit the ceiling, or None when it does."""
    need_mb = csv_bytes * LOAD_BYTES_PER_FILE_BYTE / 1024**2
    if need_mb <= MEMORY_LIMIT_MB:
        return None
    return (f"{name}: {csv_bytes / 1024**2:,.1f} MB of rows needs about {need_mb:,.1f} MB of memory to load, more "
            f"than the {MEMORY_LIMIT_MB:,} MB allowed (WINWIN_MEMORY_LIMIT_MB). Split the export (by year, say) "
            "or raise the limit on a machine that has the memory")
