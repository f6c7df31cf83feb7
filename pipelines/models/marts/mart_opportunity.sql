-- One row per deal, flagged as re-business and joined to what delivery made of it.
-- Re-business (DOMAIN.md): a won deal whose account had a won deal that closed strictly earlier.
-- is_delivery_lead: the one test of a delivery-generated lead (lead source 'delivery').
-- Delivered figures count completed projects only: a running project's cost is not final.
WITH first_win AS (
  SELECT account_id, min(close_date) AS first_won_date
  FROM fct_opportunity
  WHERE is_won
  GROUP BY account_id
),
projects AS (
  SELECT
    opportunity_id,
    count(*) AS projects,
    sum(CASE WHEN actual_end_date IS NOT NULL THEN revenue END) AS delivered_revenue,
    sum(CASE WHEN actual_end_date IS NOT NULL THEN actual_cost END) AS delivered_cost,
    sum(CASE WHEN actual_end_date IS NOT NULL THEN revenue - actual_cost END) AS delivered_profit
  FROM fct_project
  GROUP BY opportunity_id
)
SELECT
  o.opportunity_id, o.account_id, o.owner, o.sales_team, o.stage, o.is_won, o.is_closed,
  o.created_date, o.close_date, o.amount, o.currency, o.lead_source, o.referred_by, o.deal_type,
  COALESCE(o.lead_source = 'delivery', FALSE) AS is_delivery_lead,
  COALESCE(o.is_won AND o.close_date > f.first_won_date, FALSE) AS is_rebusiness,
  date_diff('day', o.created_date, o.close_date) AS cycle_days,
  COALESCE(p.projects, 0) AS projects,
  p.delivered_revenue,
  p.delivered_cost,
  p.delivered_profit
FROM fct_opportunity AS o
LEFT JOIN first_win AS f ON f.account_id = o.account_id
LEFT JOIN projects AS p ON p.opportunity_id = o.opportunity_id
