-- The Overview's delivery -> satisfaction score counts (metrics.delivery), precomputed for the
-- periods the sidebar offers: from a month's first day (period_start) to the data date. Per
-- measure, delivery outcome and score, the answers, each counted once per outcome on its pair
-- with no earlier one in the period (previous_end_date, see mart_delivery_answer). A pair ends on
-- or after a month's first day exactly when its end month does, and an earlier end is before that
-- day exactly when its month is: pairs are counted by month first, so the join with the starts is
-- small. period_start is each month a pair ends in; a period starting in a month without any
-- counts as starting in the next one that has (no pair ends between them), all time as the first.
-- A score's points and low-score flag follow from it: min() carries them through the grouping.
WITH by_month AS (
  SELECT survey_type, delivery_outcome, score, min(nps_points) AS nps_points, min(csat_points) AS csat_points,
         min(is_low_score) AS is_low_score,
         date_trunc('month', actual_end_date) AS end_month, date_trunc('month', previous_end_date) AS previous_month,
         count(*) AS pairs, count(CASE WHEN linked_by = 'project reference' THEN 1 END) AS by_reference
  FROM mart_delivery_answer
  GROUP BY survey_type, delivery_outcome, score, date_trunc('month', actual_end_date),
           date_trunc('month', previous_end_date)
),
starts AS (
  SELECT DISTINCT end_month AS period_start FROM by_month
)
SELECT CAST(s.period_start AS DATE) AS period_start, b.survey_type, b.delivery_outcome AS "group", b.score,
       min(b.nps_points) AS nps_points, min(b.csat_points) AS csat_points, min(b.is_low_score) AS is_low_score,
       CAST(sum(b.pairs) AS BIGINT) AS answers, CAST(sum(b.by_reference) AS BIGINT) AS by_reference
FROM starts AS s
JOIN by_month AS b
  ON b.end_month >= s.period_start AND (b.previous_month IS NULL OR b.previous_month < s.period_start)
GROUP BY s.period_start, b.survey_type, b.delivery_outcome, b.score
ORDER BY period_start, survey_type, "group", score
