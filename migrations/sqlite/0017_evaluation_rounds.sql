-- Evaluation rounds (評価の周期), for PDCAの進み具合 (src/progress): one row
-- per stay of a countermeasure at 具体化, from the history row that moved it
-- there (from 未具体化, or back from 評価改善: a re-plan) until the next
-- stage change (to 評価改善: evaluated; back to 未具体化: ended unevaluated).
-- Archiving does not end a round (restoring resumes it). Written in the
-- same transaction as the history row (countermeasures::store), so the
-- city's side-by-side view counts rounds from an index instead of replaying
-- 1.4 million history rows (BENCHMARKS.md).
--
-- first_due_on: the evaluation due date in force when the round started;
--   later changes do not move it (a postponed round is judged against it).
-- postponed: 1 when, during the round, a change moved the due date later
--   than the date it replaced (延期あり).
-- identified_on: for a round started from 未具体化, the day the
--   countermeasure last entered 未具体化 (recorded, or stepped back);
--   NULL for a re-plan from 評価改善.
-- planning_days / evaluation_days: exact day counts 未具体化 → 具体化
--   (started_on − identified_on) and 具体化 → 評価改善 (evaluated_on −
--   started_on); a step back-dated before the step it follows counts 0.
-- ended_on: the day of the step that ended the round; evaluated_on: the
--   same day when that step was to 評価改善.
CREATE TABLE evaluation_rounds (
    id                 INTEGER PRIMARY KEY,
    countermeasure_id  INTEGER NOT NULL REFERENCES countermeasures(id),
    ward_id            INTEGER NOT NULL REFERENCES wards(id),
    started_event_id   INTEGER NOT NULL UNIQUE REFERENCES countermeasure_events(id),
    identified_on      TEXT,
    started_on         TEXT NOT NULL,
    first_due_on       TEXT NOT NULL,
    postponed          INTEGER NOT NULL DEFAULT 0,
    ended_on           TEXT,
    evaluated_on       TEXT,
    planning_days      INTEGER,
    evaluation_days    INTEGER
);

-- The backfill: every round in the history so far (the live writes follow
-- the same rules; tests/api/progress.rs checks that both agree).
INSERT INTO evaluation_rounds (countermeasure_id, ward_id, started_event_id, identified_on, started_on,
    first_due_on, postponed, ended_on, evaluated_on, planning_days, evaluation_days)
SELECT r.countermeasure_id, r.ward_id, r.started_event_id, r.identified_on, r.started_on,
    r.first_due_on, r.postponed, r.ended_on, r.evaluated_on,
    CASE WHEN r.identified_on IS NOT NULL
         THEN MAX(0, CAST(julianday(r.started_on) - julianday(r.identified_on) AS INTEGER)) END,
    CASE WHEN r.evaluated_on IS NOT NULL
         THEN MAX(0, CAST(julianday(r.evaluated_on) - julianday(r.started_on) AS INTEGER)) END
FROM (
    SELECT s.countermeasure_id, c.ward_id, s.id AS started_event_id, s.occurred_on AS started_on,
        CASE WHEN s.from_stage = '未具体化' THEN
            (SELECT p.occurred_on FROM countermeasure_events p
             WHERE p.countermeasure_id = s.countermeasure_id AND p.id < s.id AND p.to_stage = '未具体化'
             ORDER BY p.id DESC LIMIT 1)
        END AS identified_on,
        COALESCE(s.due_to,
            (SELECT p.due_to FROM countermeasure_events p
             WHERE p.countermeasure_id = s.countermeasure_id AND p.id < s.id AND p.due_to IS NOT NULL
             ORDER BY p.id DESC LIMIT 1),
            c.evaluation_due_on) AS first_due_on,
        CASE WHEN EXISTS (SELECT 1 FROM countermeasure_events p
             WHERE p.countermeasure_id = s.countermeasure_id AND p.id > s.id
               AND (n.id IS NULL OR p.id < n.id) AND p.due_to > p.due_from)
             THEN 1 ELSE 0 END AS postponed,
        n.occurred_on AS ended_on,
        CASE WHEN n.to_stage = '評価改善' THEN n.occurred_on END AS evaluated_on
    FROM countermeasure_events s
    JOIN countermeasures c ON c.id = s.countermeasure_id
    LEFT JOIN countermeasure_events n ON n.id = (
        SELECT MIN(q.id) FROM countermeasure_events q
        WHERE q.countermeasure_id = s.countermeasure_id AND q.id > s.id AND q.to_stage IS NOT NULL)
    WHERE s.to_stage = '具体化' AND s.from_stage IN ('未具体化', '評価改善')
) r
WHERE r.first_due_on IS NOT NULL
ORDER BY r.started_event_id;

-- A round's live writes find the open one of a countermeasure.
CREATE INDEX evaluation_rounds_cm ON evaluation_rounds (countermeasure_id, ended_on);
-- 期限内評価率: the rounds first due in a period, per ward, from the index alone.
CREATE INDEX evaluation_rounds_due ON evaluation_rounds (ward_id, first_due_on, evaluated_on, ended_on, postponed);
-- The medians: steps to 具体化 and to 評価改善 dated in a period, per ward.
CREATE INDEX evaluation_rounds_started ON evaluation_rounds (ward_id, started_on, planning_days);
CREATE INDEX evaluation_rounds_evaluated ON evaluation_rounds (ward_id, evaluated_on, evaluation_days);

-- 停滞 and overdue, per ward or over every ward, from the index alone (the
-- due date last). `archived` leads so that a query on
-- `ward_id` alone (the topics with a countermeasure) keeps the covering
-- countermeasures_ward_topic_stage_id even before ANALYZE has seen this one.
CREATE INDEX countermeasures_progress ON countermeasures (archived, ward_id, stage, last_stage_on, evaluation_due_on);
