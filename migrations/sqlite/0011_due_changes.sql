-- The evaluation due date each history row set and the one it replaced, so
-- the ward dashboard lists the changes that moved an evaluation later
-- (延期された評価) from an index instead of reading every row's `changes`.
--
-- due_to: the date the change set; NULL when it set none (the date stayed,
-- or was cleared). due_from, beside a due_to: the date it replaced, that is
-- the one in force, or when none was (cleared at 未具体化 and set again by
-- the re-plan), the last one the countermeasure had; NULL for its first.
-- Written with the row (countermeasures::store::record_at_meeting).
ALTER TABLE countermeasure_events ADD COLUMN due_from TEXT;
ALTER TABLE countermeasure_events ADD COLUMN due_to TEXT;

-- Earlier rows, from the `changes` each was recorded with.
UPDATE countermeasure_events
SET due_to = json_extract(changes, '$.evaluation_due_on.after')
WHERE changes LIKE '%"evaluation_due_on"%';

UPDATE countermeasure_events
SET due_from = COALESCE(
    json_extract(changes, '$.evaluation_due_on.before'),
    (SELECT p.due_to FROM countermeasure_events p
     WHERE p.countermeasure_id = countermeasure_events.countermeasure_id
       AND p.id < countermeasure_events.id AND p.due_to IS NOT NULL
     ORDER BY p.id DESC LIMIT 1))
WHERE due_to IS NOT NULL;

-- A ward's postponements in a half-year: per countermeasure, by time. Few
-- rows qualify, so the index stays small.
CREATE INDEX countermeasure_events_postponed ON countermeasure_events (countermeasure_id, recorded_at)
    WHERE due_to > due_from;
