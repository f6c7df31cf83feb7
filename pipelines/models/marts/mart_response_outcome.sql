-- One row per survey answer with what the same account did next: re-business won within
-- 3, 6 and 12 months after the answer, its amount and its delivered revenue and cost.
-- window_complete_Nm is false when the window runs past the data date: those answers cannot
-- show their outcome yet and are left out of the satisfaction -> profit link.
-- The satisfaction thresholds live here and nowhere else (DOMAIN.md): an NPS answer's nps_points
-- are +1 (promoter, 9-10), 0 (passive, 7-8) or -1 (detractor, 0-6), so NPS = 100 * avg(nps_points);
-- a CSAT answer's csat_points are 1 when it scores 4-5, so CSAT = avg(csat_points). is_low_score
-- marks a detractor or a CSAT 1-2.
WITH answers AS (
  SELECT
    r.response_id, r.account_id, r.project_id, r.responded_at, r.survey_type, r.score, r.comment,
    CAST(r.responded_at AS DATE) AS answer_date,
    CASE
      WHEN r.survey_type <> 'nps' THEN NULL
      WHEN r.score >= 9 THEN 1
      WHEN r.score >= 7 THEN 0
      ELSE -1
    END AS nps_points,
    CASE
      WHEN r.survey_type <> 'csat' THEN NULL
      WHEN r.score >= 4 THEN 1
      ELSE 0
    END AS csat_points,
    CASE
      WHEN r.survey_type <> 'csat' THEN NULL
      WHEN r.score >= 4 THEN 'satisfied (4-5)'
      WHEN r.score = 3 THEN 'neutral (3)'
      ELSE 'dissatisfied (1-2)'
    END AS csat_band
  FROM fct_survey_response AS r
),
follow_up AS (
  SELECT
    a.response_id,
    o.close_date <= a.answer_date + INTERVAL 3 MONTH AS within_3m,
    o.close_date <= a.answer_date + INTERVAL 6 MONTH AS within_6m,
    o.amount,
    o.delivered_revenue,
    o.delivered_cost
  FROM answers AS a
  JOIN mart_opportunity AS o
    ON o.account_id = a.account_id
   AND o.is_rebusiness
   AND o.close_date > a.answer_date
   AND o.close_date <= a.answer_date + INTERVAL 12 MONTH
),
outcome AS (
  SELECT
    response_id,
    count(CASE WHEN within_3m THEN 1 END) AS deals_3m,
    count(CASE WHEN within_6m THEN 1 END) AS deals_6m,
    count(*) AS deals_12m,
    sum(CASE WHEN within_3m THEN amount END) AS amount_3m,
    sum(CASE WHEN within_6m THEN amount END) AS amount_6m,
    sum(amount) AS amount_12m,
    sum(CASE WHEN within_3m THEN delivered_revenue END) AS delivered_revenue_3m,
    sum(CASE WHEN within_6m THEN delivered_revenue END) AS delivered_revenue_6m,
    sum(delivered_revenue) AS delivered_revenue_12m,
    sum(CASE WHEN within_3m THEN delivered_cost END) AS delivered_cost_3m,
    sum(CASE WHEN within_6m THEN delivered_cost END) AS delivered_cost_6m,
    sum(delivered_cost) AS delivered_cost_12m
  FROM follow_up
  GROUP BY response_id
)
SELECT
  a.response_id, a.account_id, a.project_id, a.responded_at, a.answer_date, a.survey_type, a.score, a.comment,
  a.nps_points,
  CASE a.nps_points WHEN 1 THEN 'promoter' WHEN 0 THEN 'passive' WHEN -1 THEN 'detractor' END AS nps_category,
  a.csat_points,
  a.csat_band,
  COALESCE(a.nps_points = -1, a.csat_band = 'dissatisfied (1-2)') AS is_low_score,
  a.answer_date + INTERVAL 3 MONTH <= d.data_date AS window_complete_3m,
  a.answer_date + INTERVAL 6 MONTH <= d.data_date AS window_complete_6m,
  a.answer_date + INTERVAL 12 MONTH <= d.data_date AS window_complete_12m,
  COALESCE(o.deals_3m, 0) AS deals_3m,
  COALESCE(o.deals_6m, 0) AS deals_6m,
  COALESCE(o.deals_12m, 0) AS deals_12m,
  COALESCE(o.amount_3m, 0) AS amount_3m,
  COALESCE(o.amount_6m, 0) AS amount_6m,
  COALESCE(o.amount_12m, 0) AS amount_12m,
  o.delivered_revenue_3m, o.delivered_revenue_6m, o.delivered_revenue_12m,
  o.delivered_cost_3m, o.delivered_cost_6m, o.delivered_cost_12m
FROM answers AS a
CROSS JOIN mart_data_date AS d
LEFT JOIN outcome AS o ON o.response_id = a.response_id
