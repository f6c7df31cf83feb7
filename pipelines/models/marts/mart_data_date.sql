-- The "as of" date of the data: the latest event loaded (mart_latest_event) or project
-- completion. Outcome windows (next N months after a survey answer) are complete only when they
-- end on or before this date, and periods end on it. A completion is work done that the export
-- recorded, so it moves the date (else a project completed after the last deal or answer falls
-- outside every period but "All time"); a project's start does not: PSA tools list projects
-- scheduled to start in the future.
SELECT max(event_date) AS data_date
FROM (
  SELECT event_date FROM mart_latest_event WHERE table_name <> 'fct_project'
  UNION ALL
  SELECT max(actual_end_date) FROM fct_project
) AS events
