"""The app's read side: one read-only connection per warehouse build, results cached per build.

Every query result is cached with ``st.cache_data`` keyed on the build key (inode + mtime of
the warehouse file) and the filters, so a new build invalidates it without a restart.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable

import streamlit as st

from pipelines import metrics, warehouse


def db_path() -> Path:
    return warehouse.db_path()


def build_key() -> tuple[int, int] | None:
    return warehouse.build_key(db_path())


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(path: str, key: tuple[int, int]):
    return warehouse.connect_readonly(Path(path))


def cursor():
    """A cursor on the current build (each query gets its own: connections are not thread-safe)."""
    return warehouse.reader_cursor(_connection(str(db_path()), build_key()))


@st.cache_data(max_entries=256, show_spinner=False)
def _cached(module: str, name: str, key, args: tuple, kwargs: tuple):
    return getattr(importlib.import_module(module), name)(cursor(), *args, **dict(kwargs))


def query(function: Callable, *args, **kwargs):
    """Call a pipelines function that reads a connection (metrics, status), on the current build,
    cached per build and arguments."""
    return _cached(function.__module__, function.__name__, build_key(), args, tuple(sorted(kwargs.items())))


def has_data() -> bool:
    """False when there is no warehouse or it holds no rows yet (the page then explains how to load)."""
    if build_key() is None:
        return False
    return query(metrics.data_date) is not None


def require_data() -> None:
    """Stop the page with how to load when the warehouse is empty (every page starts with this)."""
    if has_data():
        return
    st.info(
        "The warehouse is empty. Load your exports with\n\n"
        "`python -m pipelines ingest path/to/exports/`\n\n"
        "or build the demo world with `python -m pipelines demo --out data/demo --ingest`, then reload this page."
    )
    st.stop()
