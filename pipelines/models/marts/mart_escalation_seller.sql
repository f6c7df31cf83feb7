-- Each escalation with sales involved, once for every sales rep who sold to its account (owned a
-- deal of it, in any stage): metrics.sales_governance counts a rep's escalations with sales
-- involved from these rows instead of joining every escalation with every deal of its account on
-- each view. The escalation's account and project come along, so the sidebar's filters still apply.
WITH sold_to AS (
  SELECT DISTINCT account_id, owner AS sales_rep
  FROM fct_opportunity
)
SELECT
  e.escalation_id,
  e.account_id,
  e.project_id,
  CAST(e.opened_at AS DATE) AS opened_date,
  s.sales_rep
FROM mart_escalation AS e
JOIN sold_to AS s ON s.account_id = e.account_id
WHERE e.sales_involved
ORDER BY opened_date
