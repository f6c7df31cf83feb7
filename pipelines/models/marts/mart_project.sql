-- One row per delivery project with its margin, budget variance and schedule slip, and the
-- deal and seller behind it. seller_sent_status_reports: the opportunity owner logged at least
-- one status report on the account between project start and (actual, else planned) end.
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
)
SELECT
  p.project_id, p.opportunity_id, p.account_id, p.delivery_team, p.delivery_manager,
  p.start_date, p.planned_end_date, p.actual_end_date,
  p.budget_cost, p.actual_cost, p.revenue,
  p.actual_end_date IS NOT NULL AS is_delivered,
  CAST(p.revenue - p.actual_cost AS DOUBLE) / NULLIF(CAST(p.revenue AS DOUBLE), 0) AS margin,
  CAST(p.actual_cost AS DOUBLE) / NULLIF(CAST(p.budget_cost AS DOUBLE), 0) - 1 AS budget_variance,
  date_diff('day', p.planned_end_date, p.actual_end_date) AS schedule_slip_days,
  o.owner AS sold_by,
  o.sales_team AS sold_by_team,
  o.lead_source,
  o.referred_by,
  o.is_rebusiness,
  o.close_date AS sold_date,
  COALESCE(r.status_reports, 0) AS seller_status_reports,
  COALESCE(r.status_reports, 0) > 0 AS seller_sent_status_reports
FROM fct_project AS p
LEFT JOIN mart_opportunity AS o ON o.opportunity_id = p.opportunity_id
LEFT JOIN seller_reports AS r ON r.project_id = p.project_id
