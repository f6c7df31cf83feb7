"""The app's read side: one read-only connection per warehouse build, results cached per build.

Every query result is cached with ``st.cache_data`` keyed on the build key (inode + mtime of
the warehouse file) and the filters, so a new build invalidates it without a restart.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable

import streamlit as st

from pipelines import access, metrics, warehouse
from pipelines.reporting import formats
from ui import auth


def db_path() -> Path:
    return warehouse.db_path()


def build_key() -> tuple[int, int] | None:
    return warehouse.build_key(db_path())


def scope() -> access.Access | None:
    """The visitor's access when it limits the rows they see (a team lead), else None."""
    visitor = auth.visitor()
    return visitor if visitor.scoped else None


def connect(path: Path, scoped: access.Access | None):
    """A read-only connection to the build at ``path``, limited to ``scoped``'s accounts if given."""
    return access.connect_scoped(path, scoped) if scoped else warehouse.connect_readonly(path)


@st.cache_resource(max_entries=16, show_spinner=False)
def _connection(path: str, key: tuple[int, int], scoped: access.Access | None):
    return connect(Path(path), scoped)


def cursor():
    """A cursor on the current build as the visitor may see it (each query gets its own:
    connections are not thread-safe)."""
    return warehouse.reader_cursor(_connection(str(db_path()), build_key(), scope()))


@st.cache_data(max_entries=256, show_spinner=False)
def _cached(module: str, name: str, key, scoped, args: tuple, kwargs: tuple):
    return getattr(importlib.import_module(module), name)(cursor(), *args, **dict(kwargs))


def query(function: Callable, *args, **kwargs):
    """Call a pipelines function that reads a connection (metrics, status), on the current build,
    cached per build, visitor's scope and arguments (one team lead's figures never serve another)."""
    return _cached(function.__module__, function.__name__, build_key(), scope(), args, tuple(sorted(kwargs.items())))


def has_data() -> bool:
    """False when there is no warehouse or it holds no rows yet (the page then explains how to load)."""
    if build_key() is None:
        return False
    return query(metrics.data_date) is not None


# What a page on an empty warehouse says: in words, since the web page is no terminal (the
# command line's ingest and demo are the README's). Who may load is told where; the others whom to ask.
EMPTY_FOR_LOADERS = (
    "The warehouse holds no data yet. Open **Data** in the menu and load your firm's exports there "
    "(CRM deals and accounts, projects, escalations, client activities, survey answers, as CSV or Excel "
    "files); this page fills in once they are loaded."
)
EMPTY_FOR_READERS = (
    "The warehouse holds no data yet, and loading exports is not part of your role ({role}). "
    "Ask whoever loads your firm's data (a loader or an admin) to load the exports; this page fills in then."
)


def empty_warehouse_message() -> str:
    """What to do about an empty warehouse, for this visitor: load on the Data page, or ask who may."""
    if auth.can("load"):
        return EMPTY_FOR_LOADERS
    return EMPTY_FOR_READERS.format(role=auth.visitor().role.replace("_", " "))


def require_data() -> None:
    """Stop the page with what to do when the warehouse is empty (every page starts with this).
    Else say which currencies its money is in (every figure and the note under the title say it)."""
    if has_data():
        formats.use_currencies(query(metrics.currencies))
        if note := formats.currency_note():
            st.caption(note)
        return
    st.info(empty_warehouse_message(), icon=":material/upload:")
    st.stop()
