-- One row per escalation with its time to resolve (hours; NULL while open).
SELECT
  e.escalation_id, e.account_id, e.project_id, e.opened_at, e.resolved_at,
  e.severity, e.sales_involved, e.category,
  e.resolved_at IS NOT NULL AS is_resolved,
  date_diff('minute', e.opened_at, e.resolved_at) / 60.0 AS hours_to_resolve
FROM fct_escalation AS e
