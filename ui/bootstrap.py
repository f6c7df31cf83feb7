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
_build_lock = threading.Lock()


def ensure_warehouse() -> None:
    """Build the demo warehouse on first start unless WINWIN_DEMO=0 (then pages explain how to load)."""
    db = warehouse.db_path()
    if db.exists() or os.environ.get("WINWIN_DEMO", "1") == "0":
        return
    with _build_lock:  # two browser tabs on a fresh install build it once
        if db.exists():
            return
        from pipelines.demo import write_demo
        from pipelines.ingest import ingest

        with st.status("First start: building the demo warehouse…", expanded=True) as status:
            bar = st.progress(0.0)
            with tempfile.TemporaryDirectory(prefix="winwin-demo-") as tmp:
                st.write("Writing the demo world's vendor exports (Salesforce, Kantata, Jira, Qualtrics, SurveyMonkey)")
                write_demo(Path(tmp), scale=DEMO_SCALE, progress=lambda message, done: bar.progress(min(done, 1.0) * 0.4, text=message))
                steps = iter(range(1, 100))
                ingest([Path(tmp)], db=db, progress=lambda message: bar.progress(0.4 + 0.006 * next(steps, 99), text=message))
            bar.progress(1.0, text="done")
            status.update(label="Demo warehouse ready", state="complete", expanded=False)
