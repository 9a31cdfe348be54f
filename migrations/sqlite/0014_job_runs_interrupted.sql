-- Catch-up and crashed runs (issue 14).
--
-- lease_until: a run in progress ('running') holds its job until then (10
-- minutes from its start). While the lease lasts no scheduler, on any
-- instance, starts the job again; once it ran out and the run recorded no
-- result, its process stopped during the run, and the next scheduler tick of
-- any instance marks it 'interrupted' (中断 on /jobs). An interrupted run does
-- not count as completed, so the job is caught up.
--
-- Runs left 'running' by an earlier version hold no lease: lease_until is
-- their start, so the first tick marks them interrupted.
--
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt
-- (https://sqlite.org/lang_altertable.html#otheralter), as 0012 rebuilds the
-- outbox. Nothing references job_runs, so this runs in the migration's
-- transaction with foreign keys on.
CREATE TABLE job_runs_rebuilt (
    id           INTEGER PRIMARY KEY,
    job          TEXT NOT NULL,
    reminder_date TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    queued       INTEGER NOT NULL DEFAULT 0,
    skipped      INTEGER NOT NULL DEFAULT 0,
    -- Items nobody could be mailed about (owner or secretariat without an address).
    undeliverable INTEGER NOT NULL DEFAULT 0,
    outcome      TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'error', 'interrupted')),
    error        TEXT,
    lease_until  TEXT
);
INSERT INTO job_runs_rebuilt (id, job, reminder_date, started_at, finished_at, queued, skipped,
    undeliverable, outcome, error, lease_until)
SELECT id, job, reminder_date, started_at, finished_at, queued, skipped,
    undeliverable, outcome, error, CASE WHEN outcome = 'running' THEN started_at END
FROM job_runs;
DROP TABLE job_runs;
ALTER TABLE job_runs_rebuilt RENAME TO job_runs;
CREATE INDEX job_runs_job ON job_runs (job, id);
