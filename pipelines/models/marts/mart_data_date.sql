-- The "as of" date of the data: the latest dated event loaded. Outcome windows (next N months
-- after a survey answer) are complete only when they end on or before this date.
SELECT max(event_date) AS data_date
FROM (
  SELECT max(CAST(responded_at AS DATE)) AS event_date FROM fct_survey_response
  UNION ALL SELECT max(close_date) FROM fct_opportunity WHERE is_closed
  UNION ALL SELECT max(activity_date) FROM fct_activity
  UNION ALL SELECT max(CAST(opened_at AS DATE)) FROM fct_escalation
) AS event_dates
