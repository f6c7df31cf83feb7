-- The "as of" date of the data: the latest event loaded (mart_latest_event). Outcome windows
-- (next N months after a survey answer) are complete only when they end on or before this date.
-- Projects do not move it: their dates are work done, not the client events (answers, deals,
-- activities, escalations) whose windows the metrics count.
SELECT max(event_date) AS data_date
FROM mart_latest_event
WHERE table_name <> 'fct_project'
