-- Indexes for national-scale data (about 2,000 countermeasures in the
-- largest ward; see BENCHMARKS.md for the figures they changed).

-- A ward's list (filtered by archived and stage, ordered by topic and id)
-- and its count read only matching index entries instead of every row of
-- the ward; the dashboard's due list (stage 具体化, open) narrows the same way.
CREATE INDEX countermeasures_ward_list ON countermeasures (ward_id, archived, stage, topic, id);

-- The dashboard's stage per topic (MAX over stage, grouped by topic) is
-- answered from this index alone; it replaces the (ward_id, topic) index,
-- its prefix.
CREATE INDEX countermeasures_ward_topic_stage ON countermeasures (ward_id, topic, stage);
DROP INDEX countermeasures_ward_topic;
