"""First start: build the demo warehouse when none exists, showing progress while it runs."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import streamlit as st

from pipelines import tempfiles, warehouse

# Demo world size built on first start: ~24,000 rows, a few seconds on a laptop.
DEMO_SCALE = 1
# Share of the progress bar for writing the exports (well under a second of the ~10 s build).
WRITE_SHARE = 0.1
_build_lock = threading.Lock()


def ensure_warehouse() -> None:
    """Build the demo warehouse on first start unless WINWIN_DEMO=0 (then pages explain how to
    load); upgrade a warehouse an earlier version built."""
    _sweep_once()
    db = warehouse.db_path()
    if db.exists():
        _upgrade_if_older(db)
        return
    if os.environ.get("WINWIN_DEMO", "1") == "0":
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
                st.error(f"Could not build the demo warehouse at `{db}`: {exc}\n\n"
                         "Build it in a terminal to see every step: "
                         "`python -m pipelines demo --out data/demo --ingest`")
                return
            bar.progress(1.0, text="done")
            status.update(label="Demo warehouse ready", state="complete", expanded=False)


@st.cache_resource(show_spinner=False)
def _sweep_once() -> None:
    """Once per server start: customer exports a crashed run left in the temp folder go."""
    tempfiles.sweep_stale()


@st.cache_data(show_spinner=False)
def _out_of_date(path: str, build: tuple[int, int] | None) -> list[str]:
    """What this version would change in the build at ``path`` (cached per build)."""
    with warehouse.connect_readonly(Path(path)) as con:
        return warehouse.out_of_date(con)


def _upgrade_if_older(db: Path) -> None:
    """A warehouse built by an earlier version gets this version's columns and marts before any
    page reads it (one atomic copy-and-swap build), so no page fails on a column or mart it lacks
    or reads figures an earlier definition computed."""
    changes = _out_of_date(str(db), warehouse.build_key(db))
    if not changes:
        return
    with _build_lock, st.status("Upgrading the warehouse to this version…") as status:
        columns = [change for change in changes if "." in change]
        if columns:
            st.write("Adding " + ", ".join(f"`{column}`" for column in columns)
                     + "; they fill in when their exports are loaded again.")
        if len(columns) < len(changes):
            st.write("Rebuilding the summary tables with this version's definitions: "
                     + ", ".join(f"`{mart}`" for mart in changes if "." not in mart) + ".")
        try:
            warehouse.upgrade(db)
        except Exception as exc:  # the pages still read the old build
            status.update(label="Upgrading the warehouse failed", state="error", expanded=True)
            st.error(f"Could not upgrade `{db}`: {exc}\n\n"
                     "Run `python -m pipelines ingest` with your exports in a terminal to see why.")
            return
        status.update(label="Warehouse upgraded", state="complete", expanded=False)


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
