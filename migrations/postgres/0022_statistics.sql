-- Statistics for the tables 0020 and 0021 changed (new columns on
-- countermeasures and countermeasure_events, the completed-rounds index), so
-- the planner has figures at once rather than after autovacuum's next pass:
-- without them 資料1 over the national data took 0.81 s instead of 0.51 s
-- (BENCHMARKS.md, "The PDCA chain").
ANALYZE countermeasures;
ANALYZE countermeasure_events;
