-- Each delivered project paired with each of its account's survey answers in the 6 months after
-- its end (metrics.rebusiness.FOLLOWED_MONTHS; a test holds them equal): the satisfaction that
-- followed a project, which metrics.sold_vs_delivered_by_rep counts per seller. The range join is
-- done once per build instead of on every view of the Re-business page; the project's columns the
-- page's filters read (its end, seller, team, account) come along, so no join is left to a view.
-- previous_end_date lets a view count an answer once per seller without DISTINCT over millions of
-- pairs: the end of the previous pair of the same seller and answer (an answer counts in a period
-- on the one pair with no earlier pair in it). Sorted by measure and end so a view of one measure
-- and period reads few row groups.
WITH pairs AS (
  SELECT
    p.project_id,
    p.account_id,
    p.actual_end_date,
    p.sold_by,
    p.delivery_team,
    r.response_id,
    r.survey_type,
    r.nps_points,
    r.csat_points
  FROM mart_project AS p
  JOIN mart_response_outcome AS r
    ON r.account_id = p.account_id
   AND r.answer_date > p.actual_end_date
   AND r.answer_date <= p.actual_end_date + INTERVAL 6 MONTH
  WHERE p.is_delivered
)
SELECT
  *,
  lag(actual_end_date) OVER (PARTITION BY COALESCE(sold_by, 'unknown'), response_id
                             ORDER BY actual_end_date, project_id) AS previous_end_date
FROM pairs
ORDER BY survey_type, actual_end_date
