"""Which currencies the warehouse's amounts are in, so no sum of several is shown as one figure
without saying so (formats.use_currencies reads this)."""

from __future__ import annotations

# The amounts every page adds up: deal amounts, project costs and revenue.
MONEY_SQL = """
SELECT DISTINCT currency FROM mart_opportunity WHERE amount IS NOT NULL
UNION
SELECT DISTINCT currency FROM mart_project WHERE revenue IS NOT NULL OR actual_cost IS NOT NULL
"""


def currencies(con) -> tuple[str | None, ...]:
    """Each ISO code the amounts carry, None for amounts whose export named no currency; codes in
    order, None last. A warehouse before its first build, or marts built before amounts kept their
    currency (a catalog without the column), says (None,): not given."""
    try:
        codes = {row[0] for row in con.execute(MONEY_SQL).fetchall()}
    except Exception:  # no marts yet, or marts without the currency column
        return (None,)
    return tuple(sorted(codes, key=lambda code: (code is None, code or ""))) or (None,)
