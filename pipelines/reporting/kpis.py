"""The headline KPIs: one table read by the Overview's tiles and the board pack's first page.

Each entry says what the figure is called, which definition explains it, where it sits in
``metrics.kpis``'s result, how it is written and how its change against the previous period is
written; the Overview draws one tile per entry and the pack one row, so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from pipelines import metrics
from pipelines.metrics import Period
from pipelines.reporting.formats import delta, money, money_delta, number, pct, points

def default_period(data_date: date | None) -> Period:
    """What the Overview opens on and the board pack prints unless told otherwise: the sidebar's
    default choice (metrics.DEFAULT_PERIOD) on data up to ``data_date``."""
    return metrics.period_of(metrics.DEFAULT_PERIOD, data_date)


def _at(*keys: str) -> Callable[[dict], float | None]:
    """A reader of one figure in ``metrics.kpis``'s (nested) result; None where it is missing."""
    def read(figures: dict):
        value = figures
        for key in keys:
            value = (value or {}).get(key)
        return value
    return read


@dataclass(frozen=True)
class Kpi:
    """One headline figure: label, definition key, reader, format and change against before."""

    label: str
    definition: str
    read: Callable[[dict], float | None]
    show: Callable[[float | None], str]
    change: Callable[[float | None, float | None], str | None]
    lower_is_better: bool = False  # its change is coloured red when it rises
    detail: Callable[[dict], str] = lambda figures: ""  # a line put before the definition in the tile's help
    # Whether the previous period's figures hold what a change needs (else no change is drawn).
    comparable: Callable[[dict], bool] = lambda before: True

    def value(self, figures: dict) -> str:
        return self.show(self.read(figures))

    def delta(self, now: dict, before: dict | None) -> str | None:
        return self.change(self.read(now), self.read(before)) if before and self.comparable(before) else None

    def help(self, figures: dict) -> str:
        detail = self.detail(figures)
        return (detail + " " if detail else "") + metrics.DEFINITIONS[self.definition]


def _won_before(before: dict) -> bool:
    """A previous period without a deal won (often one before the data begins) has no won amount
    to compare with: "+250.0k" against it would read as growth from nothing."""
    return bool(before.get("won_amount"))


def _escalations_before(before: dict) -> bool:
    """Likewise a previous period without an escalation: often one before the escalation export
    begins, where "+600" would read as a surge."""
    return bool((before.get("escalations") or {}).get("count"))


def _leads_detail(figures: dict) -> str:
    leads = figures.get("delivery_leads") or {}
    return f"{number(leads.get('count'))} delivery-sourced deals, win rate {pct(leads.get('win_rate'))}."


def _escalations_detail(figures: dict) -> str:
    escalations = figures.get("escalations") or {}
    return (f"median {number(escalations.get('median_hours_to_resolve'))} h to resolve; "
            f"{number(escalations.get('with_sales_involved'))} with sales involved.")


KPIS = [
    Kpi("NPS", "nps", _at("nps"), number, lambda now, before: delta(now, before, unit=" pts")),
    Kpi("CSAT", "csat_pct", _at("csat_pct"), pct, points),
    Kpi("Won amount", "won_amount", _at("won_amount"), money, money_delta, comparable=_won_before),
    Kpi("Re-business rate", "rebusiness_rate", _at("rebusiness_rate"), pct, points),
    Kpi("Delivered margin", "delivered_margin", _at("delivered_margin"), pct, points),
    Kpi("Re-business margin", "rebusiness_margin", _at("rebusiness_margin"), pct, points),
    Kpi("Delivery-lead net sales", "delivery_leads", _at("delivery_leads", "net_sales"), money, money_delta,
        detail=_leads_detail, comparable=_won_before),
    Kpi("Escalations", "escalations", _at("escalations", "count"), number,
        lambda now, before: delta(now, before, digits=0), lower_is_better=True, detail=_escalations_detail,
        comparable=_escalations_before),
]
# The same KPIs by their definition key, for pages that show a few of them ("rebusiness_rate").
BY_KEY = {kpi.definition: kpi for kpi in KPIS}
