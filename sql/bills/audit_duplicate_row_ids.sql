-- Audit: bill rows (or their costs) sharing a row_id. Zero rows means pass: every source row was imported once.
-- Grain: one row per duplicated row_id and table.
SELECT 'bill_rows' AS table_name, row_id, count(*) AS copies FROM bill_rows GROUP BY row_id HAVING count(*) > 1
UNION ALL
SELECT 'bill_costs', row_id, count(*) FROM bill_costs GROUP BY row_id HAVING count(*) > 1
