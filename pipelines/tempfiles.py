"""Temporary folders that hold customer exports and board packs: one prefix, swept after a crash.

Each ingest, upload and board pack works in a ``winwin-*`` folder of the system's temp
directory and removes it when done; a killed process (OOM, kill -9, a power cut) leaves it
behind, with a customer's export inside. Every ingest and every app start sweeps the ones
older than any run takes.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

PREFIX = "winwin-"
# No ingest or board pack runs this long (scale 400, 9.5M rows, ingests in ~10 minutes here).
STALE_AFTER_S = 6 * 3600


def sweep_stale(now: float | None = None) -> list[Path]:
    """Remove the ``winwin-*`` temp folders left by crashed runs; return what was removed."""
    cutoff = (now or time.time()) - STALE_AFTER_S
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            if path.is_dir() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        except OSError:  # another process removed it first
            continue
    return removed
