-- Every won deal, sorted by close date, with its account as a number as well as its id:
-- metrics.earned_growth groups a view's deals by account once per quarter window, and grouping
-- ~450,000 deals by an integer costs about a third of grouping them by the account's text id
-- (scale 400). The columns the sidebar's filters read on a deal (its account, its owner) come along.
SELECT
  dense_rank() OVER (ORDER BY account_id NULLS LAST) AS account_number,
  account_id,
  owner,
  close_date,
  amount,
  is_rebusiness,
  lead_source
FROM mart_opportunity
WHERE is_won
ORDER BY close_date
