-- Statistics for the tables 0016 and 0017 changed or added, so the planner
-- sees the new indexes with figures at once rather than after autovacuum's
-- next pass (the SQLite twin explains what went wrong without them).
ANALYZE meeting_attendees;
ANALYZE members;
ANALYZE countermeasures;
ANALYZE evaluation_rounds;
