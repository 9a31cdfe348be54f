-- A ward's open 具体化 countermeasures by due date (the dashboard's overdue
-- and upcoming lists) straight from the index, without reading the ward's
-- other open ones and sorting (BENCHMARKS.md).
CREATE INDEX countermeasures_ward_due ON countermeasures (ward_id, evaluation_due_on, id)
    WHERE stage = '具体化' AND archived = 0;
