-- Catch-up and crashed runs (issue 14); the twin of
-- migrations/sqlite/0014_job_runs_interrupted.sql, which explains the columns.
--
-- lease_until: a run in progress ('running') holds its job until then; once
-- it ran out without a result, any instance's next scheduler tick marks the
-- run 'interrupted' (中断), which does not count as completed. Runs left
-- 'running' by an earlier version hold no lease: lease_until is their start.
ALTER TABLE job_runs ADD COLUMN lease_until TEXT;
UPDATE job_runs SET lease_until = started_at WHERE outcome = 'running';
ALTER TABLE job_runs DROP CONSTRAINT IF EXISTS job_runs_outcome_check;
ALTER TABLE job_runs ADD CONSTRAINT job_runs_outcome_check
    CHECK (outcome IN ('running', 'ok', 'error', 'interrupted'));
