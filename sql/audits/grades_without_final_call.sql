-- Grades must belong to the last call of an attempt (the final turn, or the turn that failed). Grain: one row per grade.
SELECT g.call_id, c.task_id, c.turn_index
FROM grades g JOIN calls c USING (call_id)
WHERE g.run_id = $run_id AND NOT c.is_final_turn AND c.status = 'ok'
