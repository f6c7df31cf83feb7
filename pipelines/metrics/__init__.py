"""Every metric of DOMAIN.md, defined once; the CLI, the pages and the exports call these.

One module per concern, each metric's definition text (``DEFINITIONS``) next to its function and
each drill-down list next to the chart it drills:

- ``filters``: Filters and Period (SQL scopes and their wording), period choices, data date;
- ``sources``: which sources are loaded ("no data: load X"); ``currency``: which currencies amounts are in;
- ``statistics``: intervals, fits and the verdict an interval decides;
- ``headline``: the KPIs and the monthly trend;
- ``satisfaction``: satisfaction -> re-business and margin, regression, win-win, earned growth;
- ``delivery_leads``, ``escalations``, ``rebusiness``, ``accounts``: the pages' domains;
- ``delivery``: delivery -> satisfaction, the chain's first link; ``chain``: the chain in words.

Each function takes a DuckDB connection (or cursor) and a Filters (a bare Period means no
dimension filter) and reads the marts with bound parameters. Conventions: rates are fractions
0-1, NPS is -100..100, CSAT a fraction 0-1, money is in its export's currency (``currencies``). Margins are delivered
margins of projects *completed* in the period; deal figures follow the close date; survey figures
the answer date; escalations the date they were opened. ``from pipelines import metrics`` gives
every public name below.
"""

from pipelines.metrics.definitions import DEFINITIONS
from pipelines.metrics.filters import (
    DEFAULT_PERIOD, DIMENSIONS, EARLIEST, LATEST, PERIOD_CHOICES, SCOPES, Filters, Period, add_months,
    answers_followed_into, data_date, describe, filter_options, period_ending, period_of,
)
from pipelines.metrics.sources import SOURCES, loaded_sources, missing_note
from pipelines.metrics.currency import currencies
from pipelines.metrics.statistics import (
    CONFIDENCE, MIN_ANSWERS, difference_interval, linear_fit, mean_interval, nps_difference, nps_interval, proportion_difference,
    verdict,
    wilson_interval,
)
from pipelines.metrics.headline import kpi_changes, kpis, monthly_trend
from pipelines.metrics.satisfaction import (
    ANSWER_GROUPINGS, CSAT_BANDS, MEASURES, NPS_CATEGORIES, OUTCOME_WINDOWS, QUADRANTS, REGRESSION_OUTCOMES,
    WIN_WIN_CSAT_THRESHOLD, WIN_WIN_MARGIN_THRESHOLD, WIN_WIN_NPS_THRESHOLD, answers_behind, default_measure,
    earned_growth, outcome_by_group, quadrant_shares, rebusiness_by_category, rebusiness_by_nps_category,
    score_regression, win_win_accounts,
)
from pipelines.metrics.delivery_leads import (
    DEAL_GROUPINGS, LEAD_GROUPS, deals_behind, delivery_leads_by, delivery_vs_other_sources, lead_sources_by_quarter,
)
from pipelines.metrics.escalations import (
    AFTERMATH_MONTHS, ESCALATION_GROUPS, SEVERITY_ORDER, active_projects, escalation_aftermath, escalation_breakdown,
    escalations_behind,
)
from pipelines.metrics.rebusiness import (
    FOLLOWED_MONTHS, NO_TEAM, projects_behind, rebusiness_vs_first_time, sales_governance, sold_vs_delivered_by_rep,
    sold_vs_delivered_by_status_reports,
)
from pipelines.metrics.accounts import (
    AT_RISK_BELOW, HEALTH_COMPONENTS, HEALTH_WEIGHTS, MARGIN_TARGET, account_facts, account_health, account_timeline,
    health_builds, health_history, health_over_time, health_scores, missing_components, turned_at_risk,
    turned_at_risk_since_previous_build,
)
from pipelines.metrics.delivery import (
    AFTER_PROJECT_MONTHS, answers_about_projects, delivery_effect, delivery_to_satisfaction,
    delivery_to_satisfaction_summary, project_answers,
)
from pipelines.metrics.chain import LINKS, chain_sentences
