"""The SQL models: each mart's SELECT in ``marts/``, one file a mart.

Read by the build (``pipelines/marts.py``), by Spark (``pipelines/spark_marts.py``) and by a
metric that runs a mart's own SQL over the rows a filter keeps, so the read side never imports
the build to get a query's text.
"""

from __future__ import annotations

from pathlib import Path

MARTS_DIR = Path(__file__).parent / "marts"


def sql_of(name: str) -> str:
    """The SELECT of the mart ``name``."""
    return (MARTS_DIR / f"{name}.sql").read_text(encoding="utf-8")
