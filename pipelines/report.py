"""Moved to ``pipelines.reporting.board_pack`` (the pack) and ``pipelines.reporting.kpis`` (the
default period); this name stays for ``python -m pipelines report`` until it imports the new ones."""

from pipelines.reporting.board_pack import board_pack_pdf  # noqa: F401
from pipelines.reporting.kpis import default_period  # noqa: F401
