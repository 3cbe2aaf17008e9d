-- How far task_totals (migration 0016) is from a full recompute: runs folded that are not 'ok' or 'ok' runs not
-- folded, and task_totals rows that differ from task_totals_rows() (the sums of the folded runs' daily_usage
-- rows), counted both ways. Both 0: the table is exact. Grain: one row. No parameters. Read by `costbench db check`.
SELECT (SELECT count(*) FROM (SELECT run_id FROM runs WHERE status = 'ok'
                              EXCEPT SELECT run_id FROM task_totals_runs))
       + (SELECT count(*) FROM (SELECT run_id FROM task_totals_runs
                                EXCEPT SELECT run_id FROM runs WHERE status = 'ok')) AS runs_differing,
       (SELECT count(*) FROM (SELECT * FROM task_totals EXCEPT SELECT * FROM task_totals_rows()))
       + (SELECT count(*) FROM (SELECT * FROM task_totals_rows() EXCEPT SELECT * FROM task_totals)) AS rows_differing
