-- The day of each countermeasure's last stage-setting history row, so that
-- a half-year's stages (資料1) take the current stage of every countermeasure
-- untouched since the period ended and replay the history only of those
-- changed after it (countermeasures::store::stages_at; BENCHMARKS.md).
ALTER TABLE countermeasures ADD COLUMN last_stage_on TEXT;

UPDATE countermeasures SET last_stage_on = (
    SELECT MAX(e.occurred_on) FROM countermeasure_events e
    WHERE e.countermeasure_id = countermeasures.id AND e.to_stage IS NOT NULL
);

-- The untouched ones, per (ward, topic) in order, from this index alone; it
-- extends the dashboard's (ward_id, topic, stage).
CREATE INDEX countermeasures_ward_topic_stage_on ON countermeasures (ward_id, topic, stage, last_stage_on);
DROP INDEX countermeasures_ward_topic_stage;

-- The changed ones, from this index alone.
CREATE INDEX countermeasures_stage_on ON countermeasures (last_stage_on, ward_id, topic, id);

-- Their last stage-setting row up to the day, read backwards from this index
-- alone; it extends (countermeasure_id, id), which the history list uses.
CREATE INDEX countermeasure_events_cm_stage ON countermeasure_events (countermeasure_id, id, to_stage, occurred_on);
DROP INDEX countermeasure_events_cm;
