-- Each delivered project paired with each of its account's survey answers in the 6 months after
-- its end (metrics.rebusiness.FOLLOWED_MONTHS; a test holds them equal): the satisfaction that
-- followed a project, which metrics.sold_vs_delivered_by_rep counts per seller. The range join is
-- done once per build instead of on every view of the Re-business page; the project's columns the
-- page's filters read (its end, seller, team, account) come along, so no join is left to a view.
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
