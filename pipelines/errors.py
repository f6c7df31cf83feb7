"""The errors ingest raises, in a module of their own so that readers of them (the CLI, the Data
page, the mapping assistant) need not import the adapters' engine to catch one."""

from __future__ import annotations


class IngestError(Exception):
    """A file was rejected whole; the message names the file, the problem and what was expected."""
