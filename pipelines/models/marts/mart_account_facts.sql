-- Per account, the raw facts of its health as of the data date, the day every sidebar period ends
-- on (the last N months, year to date, all time). metrics.account_facts reads these rows instead
-- of scanning every answer, escalation, project and activity per view; any other day is computed
-- live by the same SQL. Both measures side by side in one row (nps_*, csat_*), each in points of
-- its index (NPS -100..100, CSAT 0..100 % satisfied): an answer carries nps_points or csat_points,
-- never both. The windows (12 and 6 months, 90 days for a recent escalation) are metrics.accounts'
-- (RECENT_ESCALATION_DAYS); a test holds them equal.
WITH latest AS (
  SELECT data_date AS day FROM mart_data_date
),
as_of AS (
  SELECT day FROM latest
),
answers AS (
  SELECT
    as_of.day, r.account_id,
    count(CASE WHEN r.survey_type = 'nps' THEN 1 END) AS nps_answers_12m,
    avg(CASE WHEN r.survey_type = 'nps' THEN 100.0 * r.nps_points END) AS nps_12m,
    count(CASE WHEN r.survey_type = 'nps' AND r.answer_date > as_of.day - INTERVAL 6 MONTH THEN 1 END) AS nps_answers_recent,
    avg(CASE WHEN r.survey_type = 'nps' AND r.answer_date > as_of.day - INTERVAL 6 MONTH THEN 100.0 * r.nps_points END) AS nps_recent,
    count(CASE WHEN r.survey_type = 'nps' AND r.answer_date <= as_of.day - INTERVAL 6 MONTH THEN 1 END) AS nps_answers_before,
    avg(CASE WHEN r.survey_type = 'nps' AND r.answer_date <= as_of.day - INTERVAL 6 MONTH THEN 100.0 * r.nps_points END) AS nps_before,
    arg_max(CASE WHEN r.survey_type = 'nps' AND r.is_low_score THEN r.comment END,
            CASE WHEN r.survey_type = 'nps' AND r.is_low_score AND r.comment IS NOT NULL THEN r.responded_at END) AS nps_low_score_comment,
    count(CASE WHEN r.survey_type = 'csat' THEN 1 END) AS csat_answers_12m,
    avg(CASE WHEN r.survey_type = 'csat' THEN 100.0 * r.csat_points END) AS csat_12m,
    count(CASE WHEN r.survey_type = 'csat' AND r.answer_date > as_of.day - INTERVAL 6 MONTH THEN 1 END) AS csat_answers_recent,
    avg(CASE WHEN r.survey_type = 'csat' AND r.answer_date > as_of.day - INTERVAL 6 MONTH THEN 100.0 * r.csat_points END) AS csat_recent,
    count(CASE WHEN r.survey_type = 'csat' AND r.answer_date <= as_of.day - INTERVAL 6 MONTH THEN 1 END) AS csat_answers_before,
    avg(CASE WHEN r.survey_type = 'csat' AND r.answer_date <= as_of.day - INTERVAL 6 MONTH THEN 100.0 * r.csat_points END) AS csat_before,
    arg_max(CASE WHEN r.survey_type = 'csat' AND r.is_low_score THEN r.comment END,
            CASE WHEN r.survey_type = 'csat' AND r.is_low_score AND r.comment IS NOT NULL THEN r.responded_at END) AS csat_low_score_comment
  FROM mart_response_outcome AS r CROSS JOIN as_of
  WHERE r.answer_date <= as_of.day AND r.answer_date > as_of.day - INTERVAL 12 MONTH
  GROUP BY as_of.day, r.account_id
),
escalations AS (
  SELECT
    as_of.day, e.account_id,
    count(CASE WHEN e.resolved_at IS NULL OR CAST(e.resolved_at AS DATE) > as_of.day THEN 1 END) AS open_escalations,
    count(CASE WHEN (e.resolved_at IS NULL OR CAST(e.resolved_at AS DATE) > as_of.day)
                AND e.severity = 'critical' THEN 1 END) AS open_critical,
    max(CASE WHEN e.resolved_at IS NULL OR CAST(e.resolved_at AS DATE) > as_of.day
             THEN date_diff('day', CAST(e.opened_at AS DATE), as_of.day) END) AS oldest_open_days,
    count(CASE WHEN CAST(e.opened_at AS DATE) > as_of.day - INTERVAL 90 DAY THEN 1 END) AS recent_escalations
  FROM mart_escalation AS e CROSS JOIN as_of
  WHERE CAST(e.opened_at AS DATE) <= as_of.day
  GROUP BY as_of.day, e.account_id
),
delivered AS (
  SELECT
    as_of.day, p.account_id, count(*) AS projects_12m,
    CAST(sum(p.profit) AS DOUBLE) / NULLIF(CAST(sum(p.revenue) AS DOUBLE), 0) AS margin_12m
  FROM mart_project AS p CROSS JOIN as_of
  WHERE p.is_delivered AND p.actual_end_date <= as_of.day AND p.actual_end_date > as_of.day - INTERVAL 12 MONTH
  GROUP BY as_of.day, p.account_id
),
engaged AS (
  SELECT as_of.day, a.account_id, max(a.activity_date) AS last_activity
  FROM fct_activity AS a CROSS JOIN as_of
  WHERE a.activity_date <= as_of.day
  GROUP BY as_of.day, a.account_id
)
SELECT
  as_of.day AS as_of,
  d.account_id, d.account_name, d.owner, d.segment, d.region,
  COALESCE(s.nps_answers_12m, 0) AS nps_answers_12m, s.nps_12m,
  COALESCE(s.nps_answers_recent, 0) AS nps_answers_recent, s.nps_recent,
  COALESCE(s.nps_answers_before, 0) AS nps_answers_before, s.nps_before,
  s.nps_low_score_comment,
  COALESCE(s.csat_answers_12m, 0) AS csat_answers_12m, s.csat_12m,
  COALESCE(s.csat_answers_recent, 0) AS csat_answers_recent, s.csat_recent,
  COALESCE(s.csat_answers_before, 0) AS csat_answers_before, s.csat_before,
  s.csat_low_score_comment,
  COALESCE(e.open_escalations, 0) AS open_escalations, COALESCE(e.open_critical, 0) AS open_critical,
  e.oldest_open_days, COALESCE(e.recent_escalations, 0) AS recent_escalations,
  COALESCE(p.projects_12m, 0) AS projects_12m, p.margin_12m,
  date_diff('day', g.last_activity, as_of.day) AS days_since_activity
FROM dim_account AS d
CROSS JOIN as_of
LEFT JOIN answers AS s ON s.day = as_of.day AND s.account_id = d.account_id
LEFT JOIN escalations AS e ON e.day = as_of.day AND e.account_id = d.account_id
LEFT JOIN delivered AS p ON p.day = as_of.day AND p.account_id = d.account_id
LEFT JOIN engaged AS g ON g.day = as_of.day AND g.account_id = d.account_id
