-- A ward's countermeasure list in its order (topic, id) from the index,
-- for the list without a stage filter (the page's default): without it
-- every page sorted all of the ward's rows in a temporary B-tree and read
-- them whole (BENCHMARKS.md, "List pages"). The stage-filtered list keeps
-- countermeasures_ward_list (ward_id, archived, stage, topic, id).
CREATE INDEX countermeasures_ward_order ON countermeasures (ward_id, archived, topic, id);
