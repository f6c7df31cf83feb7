-- Each completed, judged project paired with each answer about it (metrics.delivery's link):
-- answers naming the project, and its account's answers naming none from the project's start to
-- 6 months after its end (metrics.delivery.AFTER_PROJECT_MONTHS; a test holds them equal). The
-- range join is done once per build instead of on every view of the Overview. previous_end_date
-- lets a view count answers without DISTINCT over millions of pairs: the latest earlier end among
-- the projects of the same outcome this answer is paired with (an answer counts once per outcome:
-- once in a period on the pair that has no earlier one in it). Sorted by measure and end so a view
-- of one measure and period reads few row groups.
WITH pairs AS (
  SELECT p.project_id, p.account_id, p.start_date, p.actual_end_date, p.sold_by, p.delivery_team, p.delivery_manager,
         p.delivery_outcome, p.escalations, a.account_id AS answer_account_id, a.response_id, a.survey_type,
         a.answer_date, a.score, a.nps_points, a.csat_points, a.is_low_score, 'project reference' AS linked_by
  FROM mart_project AS p
  JOIN mart_response_outcome AS a ON a.project_id = p.project_id
  WHERE p.is_delivered AND p.delivery_outcome IS NOT NULL
  UNION ALL
  SELECT p.project_id, p.account_id, p.start_date, p.actual_end_date, p.sold_by, p.delivery_team, p.delivery_manager,
         p.delivery_outcome, p.escalations, a.account_id, a.response_id, a.survey_type,
         a.answer_date, a.score, a.nps_points, a.csat_points, a.is_low_score, 'account window'
  FROM mart_project AS p
  JOIN mart_response_outcome AS a
    ON a.project_id IS NULL AND a.account_id = p.account_id
   AND a.answer_date >= p.start_date AND a.answer_date <= p.actual_end_date + INTERVAL 6 MONTH
  WHERE p.is_delivered AND p.delivery_outcome IS NOT NULL
)
SELECT
  *,
  lag(actual_end_date) OVER (PARTITION BY response_id, delivery_outcome ORDER BY actual_end_date, project_id) AS previous_end_date
FROM pairs
ORDER BY survey_type, actual_end_date
