-- The ward dashboard's queries from indexes alone (BENCHMARKS.md).

-- A ward's open 具体化 countermeasures by due date (the overdue and
-- upcoming lists), without reading the ward's other open ones and sorting.
CREATE INDEX countermeasures_ward_due ON countermeasures (ward_id, evaluation_due_on, id)
    WHERE stage = '具体化' AND archived = 0;

-- The stages per topic now and at a half-year's end: with the id, the
-- countermeasures changed since then find their history without reading
-- the table (PostgreSQL's indexes do not hold the id otherwise).
CREATE INDEX countermeasures_ward_topic_stage_id ON countermeasures (ward_id, topic, stage, last_stage_on, id);
DROP INDEX countermeasures_ward_topic_stage_on;
