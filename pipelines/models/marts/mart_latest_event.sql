-- The one definition of "latest event": per canonical table and loaded file, the latest dated
-- event its rows record (a closed deal's close date; a project's completion, else its start).
-- mart_data_date and the Data page's freshness per source both read it.
SELECT 'fct_survey_response' AS table_name, file_sha256, max(CAST(responded_at AS DATE)) AS event_date
FROM fct_survey_response GROUP BY file_sha256
UNION ALL
SELECT 'fct_opportunity', file_sha256, max(CASE WHEN is_closed THEN close_date END)
FROM fct_opportunity GROUP BY file_sha256
UNION ALL
SELECT 'fct_activity', file_sha256, max(activity_date)
FROM fct_activity GROUP BY file_sha256
UNION ALL
SELECT 'fct_escalation', file_sha256, max(CAST(opened_at AS DATE))
FROM fct_escalation GROUP BY file_sha256
UNION ALL
SELECT 'fct_project', file_sha256, max(COALESCE(actual_end_date, start_date))
FROM fct_project GROUP BY file_sha256
