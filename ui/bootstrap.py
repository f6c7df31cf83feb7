"""First start: build the demo warehouse when none exists, showing progress while it runs."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import streamlit as st

from pipelines import warehouse

# Demo world size built on first start: ~24,000 rows, a few seconds on a laptop.
DEMO_SCALE = 1
# Share of the progress bar for writing the exports (well under a second of the ~10 s build).
WRITE_SHARE = 0.1
_build_lock = threading.Lock()


def ensure_warehouse() -> None:
    """Build the demo warehouse on first start unless WINWIN_DEMO=0 (then pages explain how to load)."""
    db = warehouse.db_path()
    if db.exists() or os.environ.get("WINWIN_DEMO", "1") == "0":
        return
    with _build_lock:  # two browser tabs on a fresh install build it once
        if db.exists():
            return
        with st.status("First start: building the demo warehouse…", expanded=True) as status:
            st.write(
                "Writing the demo world's vendor exports (Salesforce, Kantata, Jira, Qualtrics, SurveyMonkey), "
                f"then loading them into `{db.name}` the way `python -m pipelines ingest` does."
            )
            bar = st.progress(0.0, text="writing the exports")
            try:
                _build_demo(db, bar)
            except Exception as exc:  # shown, not a traceback: the page below explains how to load
                status.update(label="Building the demo warehouse failed", state="error", expanded=True)
                st.error(f"Could not build the demo warehouse at `{db}`: {exc}\n\nBuild it in a terminal to see every step: "
                         "`python -m pipelines demo --out data/demo --ingest`")
                return
            bar.progress(1.0, text="done")
            status.update(label="Demo warehouse ready", state="complete", expanded=False)


def _build_demo(db: Path, bar) -> None:
    from pipelines.demo import write_demo
    from pipelines.ingest import ingest

    with tempfile.TemporaryDirectory(prefix="winwin-demo-") as tmp:
        files = write_demo(Path(tmp), scale=DEMO_SCALE,
                           progress=lambda message, done: bar.progress(WRITE_SHARE * done, text=message))
        # ingest reports each file three times (reading, validating, loaded), then the swap
        expected = 3 * len(files) + 1
        seen = iter(range(1, expected + 1))
        ingest([Path(tmp)], db=db, progress=lambda message: bar.progress(
            WRITE_SHARE + (1 - WRITE_SHARE) * min(next(seen, expected) / expected, 1.0), text=message))
