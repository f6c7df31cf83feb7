-- One row per delivery project with its profit, margin, budget variance and schedule slip, and
-- the deal and seller behind it. profit = revenue - actual_cost: every delivered margin is
-- sum(profit) / sum(revenue). seller_sent_status_reports: the opportunity owner logged at least
-- one status report on the account between project start and (actual, else planned) end.
-- delivery_outcome (completed projects): 'late or over budget' when it finished after its planned
-- end or cost more than its budget (a project without a budget is judged on schedule alone),
-- else 'on time and on budget'; escalations: how many escalations name the project.
-- currency: the project export's own ISO code, else its deal's (PSA reports write "$" or bare
-- numbers; the deal they deliver was priced in the CRM's currency), else NULL: not given.
WITH seller_reports AS (
  SELECT p.project_id, count(*) AS status_reports
  FROM fct_project AS p
  JOIN fct_opportunity AS o ON o.opportunity_id = p.opportunity_id
  JOIN fct_activity AS a
    ON a.account_id = p.account_id
   AND a.sales_participant = o.owner
   AND a.activity_type = 'status_report'
   AND a.activity_date BETWEEN p.start_date AND COALESCE(p.actual_end_date, p.planned_end_date)
  GROUP BY p.project_id
),
escalated AS (
  SELECT project_id, count(*) AS escalations
  FROM fct_escalation
  WHERE project_id IS NOT NULL
  GROUP BY project_id
),
judged AS (
  SELECT
    p.*,
    p.actual_end_date > p.planned_end_date AS is_late,
    p.actual_cost > p.budget_cost AS is_over_budget
  FROM fct_project AS p
)
SELECT
  p.project_id, p.opportunity_id, p.account_id, p.delivery_team, p.delivery_manager,
  p.start_date, p.planned_end_date, p.actual_end_date,
  p.budget_cost, p.actual_cost, p.revenue,
  COALESCE(p.currency, o.currency) AS currency,
  p.revenue - p.actual_cost AS profit,
  p.actual_end_date IS NOT NULL AS is_delivered,
  CAST(p.revenue - p.actual_cost AS DOUBLE) / NULLIF(CAST(p.revenue AS DOUBLE), 0) AS margin,
  CAST(p.actual_cost AS DOUBLE) / NULLIF(CAST(p.budget_cost AS DOUBLE), 0) - 1 AS budget_variance,
  date_diff('day', p.planned_end_date, p.actual_end_date) AS schedule_slip_days,
  p.is_late,
  p.is_over_budget,
  CASE
    WHEN p.actual_end_date IS NULL OR p.planned_end_date IS NULL THEN NULL
    WHEN p.is_late OR COALESCE(p.is_over_budget, FALSE) THEN 'late or over budget'
    ELSE 'on time and on budget'
  END AS delivery_outcome,
  COALESCE(x.escalations, 0) AS escalations,
  o.owner AS sold_by,
  o.sales_team AS sold_by_team,
  o.lead_source,
  COALESCE(o.is_delivery_lead, FALSE) AS is_delivery_lead,
  o.referred_by,
  o.is_rebusiness,
  o.close_date AS sold_date,
  COALESCE(r.status_reports, 0) AS seller_status_reports,
  COALESCE(r.status_reports, 0) > 0 AS seller_sent_status_reports
FROM judged AS p
LEFT JOIN mart_opportunity AS o ON o.opportunity_id = p.opportunity_id
LEFT JOIN seller_reports AS r ON r.project_id = p.project_id
LEFT JOIN escalated AS x ON x.project_id = p.project_id
