-- Per day, over every account, the counts and sums the headline KPIs, their changes and the
-- monthly trend add up (metrics/headline.py): with no dimension filter a page sums these few
-- thousand days instead of scanning millions of answers, deals and projects per view (issue 16).
-- Each is a count or a DECIMAL sum, so a period's total is exactly the row-level figure; NPS is
-- 100 * (promoters - detractors) / nps_answers, the same number as 100 * avg(nps_points). Days are
-- each fact's own: the answer date, the deal's close date, the project's completion (delivered).
-- A won deal is always closed (validation quarantines one that is not), so won amounts need no
-- closed twin; closed_deals says whether a month had closed deals at all.
WITH answers AS (
  SELECT
    answer_date AS day,
    count(*) AS responses,
    count(nps_points) AS nps_answers,
    count(CASE WHEN nps_points = 1 THEN 1 END) AS promoters,
    count(CASE WHEN nps_points = -1 THEN 1 END) AS detractors,
    count(csat_points) AS csat_answers,
    count(CASE WHEN csat_points = 1 THEN 1 END) AS satisfied
  FROM mart_response_outcome
  WHERE answer_date IS NOT NULL
  GROUP BY answer_date
),
deals AS (
  SELECT
    close_date AS day,
    count(CASE WHEN is_closed THEN 1 END) AS closed_deals,
    sum(CASE WHEN is_won THEN amount ELSE 0 END) AS won_amount,
    sum(CASE WHEN is_won AND is_rebusiness THEN amount ELSE 0 END) AS rebusiness_won_amount,
    count(CASE WHEN is_delivery_lead THEN 1 END) AS lead_deals,
    count(CASE WHEN is_delivery_lead AND is_closed THEN 1 END) AS lead_closed,
    count(CASE WHEN is_delivery_lead AND is_won THEN 1 END) AS lead_won,
    sum(CASE WHEN is_delivery_lead AND is_won THEN amount END) AS lead_won_amount
  FROM mart_opportunity
  WHERE close_date IS NOT NULL
  GROUP BY close_date
),
projects AS (
  SELECT
    actual_end_date AS day,
    count(*) AS delivered_projects,
    sum(profit) AS profit,
    sum(revenue) AS revenue,
    sum(CASE WHEN is_rebusiness THEN profit END) AS rebusiness_profit,
    sum(CASE WHEN is_rebusiness THEN revenue END) AS rebusiness_revenue,
    sum(CASE WHEN is_delivery_lead THEN profit END) AS lead_profit,
    sum(CASE WHEN is_delivery_lead THEN revenue END) AS lead_revenue
  FROM mart_project
  WHERE is_delivered AND actual_end_date IS NOT NULL
  GROUP BY actual_end_date
),
days AS (
  SELECT day FROM answers UNION SELECT day FROM deals UNION SELECT day FROM projects
)
SELECT
  d.day,
  a.responses, a.nps_answers, a.promoters, a.detractors, a.csat_answers, a.satisfied,
  o.closed_deals, o.won_amount, o.rebusiness_won_amount, o.lead_deals, o.lead_closed, o.lead_won, o.lead_won_amount,
  p.delivered_projects, p.profit, p.revenue, p.rebusiness_profit, p.rebusiness_revenue, p.lead_profit, p.lead_revenue
FROM days AS d
LEFT JOIN answers AS a ON a.day = d.day
LEFT JOIN deals AS o ON o.day = d.day
LEFT JOIN projects AS p ON p.day = d.day
ORDER BY d.day
