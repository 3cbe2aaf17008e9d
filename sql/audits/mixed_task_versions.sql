-- A task answered under two versions in one run: results must be reported per task version. Grain: one row per task.
SELECT task_id, list(DISTINCT task_version ORDER BY task_version) AS versions
FROM calls
WHERE run_id = $run_id
GROUP BY task_id
HAVING count(DISTINCT task_version) > 1
