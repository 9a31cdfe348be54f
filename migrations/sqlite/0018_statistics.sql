-- Statistics for the indexes 0016 and 0017 added. Where the tables already
-- had statistics (a seeded or long-running database), the planner took the
-- new indexes without any for very selective and chose
-- countermeasures_progress (archived, ward_id, …) for a ward's list, which
-- then sorted every open row instead of reading countermeasures_ward_order in
-- order (BENCHMARKS.md, "List pages"). ANALYZE gives every index its figures.
ANALYZE;
