-- Per escalation, what followed on its account within 12 months of its opening day
-- (metrics.escalations.AFTERMATH_MONTHS; a test holds them equal): the points of the account's
-- next NPS answer and of its next CSAT answer (the lowest, when several came on that first day),
-- and whether it won re-business. None of it depends on a page's filters, so
-- metrics.escalation_aftermath reads these rows instead of joining every escalation with every
-- answer and deal of its account per view.
WITH escalations AS (
  SELECT escalation_id, account_id, CAST(opened_at AS DATE) AS opened
  FROM mart_escalation
),
next_answer AS (
  SELECT e.escalation_id, r.survey_type, min(r.answer_date) AS answer_date
  FROM escalations AS e
  JOIN mart_response_outcome AS r
    ON r.account_id = e.account_id
   AND r.answer_date > e.opened AND r.answer_date <= e.opened + INTERVAL 12 MONTH
  GROUP BY e.escalation_id, r.survey_type
),
next_score AS (
  SELECT
    n.escalation_id,
    min(CASE WHEN n.survey_type = 'nps' THEN r.nps_points END) AS next_nps_points,
    min(CASE WHEN n.survey_type = 'csat' THEN r.csat_points END) AS next_csat_points
  FROM next_answer AS n
  JOIN escalations AS e ON e.escalation_id = n.escalation_id
  JOIN mart_response_outcome AS r
    ON r.account_id = e.account_id AND r.survey_type = n.survey_type AND r.answer_date = n.answer_date
  GROUP BY n.escalation_id
),
rebought AS (
  SELECT DISTINCT e.escalation_id
  FROM escalations AS e
  JOIN mart_opportunity AS o
    ON o.account_id = e.account_id AND o.is_rebusiness
   AND o.close_date > e.opened AND o.close_date <= e.opened + INTERVAL 12 MONTH
)
SELECT
  e.escalation_id,
  s.next_nps_points,
  s.next_csat_points,
  b.escalation_id IS NOT NULL AS rebought_12m
FROM escalations AS e
LEFT JOIN next_score AS s ON s.escalation_id = e.escalation_id
LEFT JOIN rebought AS b ON b.escalation_id = e.escalation_id
