-- Twin of migrations/postgres/0022_statistics.sql: figures for the tables
-- 0020 and 0021 changed. (SQLite's planner did not need them for 資料1 —
-- 455–489 ms with or without — but the two folders keep the same steps.)
ANALYZE countermeasures;
ANALYZE countermeasure_events;
