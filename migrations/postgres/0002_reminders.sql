-- PostgreSQL twin of migrations/sqlite/0002_reminders.sql (ids BIGSERIAL,
-- references BIGINT; see 0001_core.sql).

-- Reminders for overdue evaluations: the ward secretariat's address, the
-- per-municipality reminder parameters, the outbox the sender drains, and
-- the record of job runs.

-- Where escalations go. NULL: the ward has no secretariat address yet, and
-- escalated items are counted as undeliverable in the job's result.
ALTER TABLE wards ADD COLUMN secretariat_email TEXT;

-- Overrides of the job file's parameters for one municipality; a missing row
-- (or a NULL column) means "use the job file's value".
CREATE TABLE reminder_settings (
    municipality_id        BIGINT PRIMARY KEY REFERENCES municipalities(id),
    days_before_due        INTEGER,
    repeat_interval_days   INTEGER,
    escalation_after_days  INTEGER,
    updated_at             TEXT NOT NULL
);

-- The transactional outbox. A job run writes every message it owes here, in
-- one transaction, fully rendered; the sender delivers them later. The
-- idempotency key (job, recipient, items and each item's reminder period)
-- is UNIQUE, so running the same job twice the same day queues nothing new.
-- The Message-ID is fixed at queue time so a resend after a crash carries
-- the same one and can be recognised downstream.
CREATE TABLE outbox (
    id               BIGSERIAL PRIMARY KEY,
    idempotency_key  TEXT NOT NULL UNIQUE,
    message_id       TEXT NOT NULL UNIQUE,
    job              TEXT NOT NULL,
    -- 'owner' (the member owning the items) or 'secretariat' (escalation).
    recipient_kind   TEXT NOT NULL CHECK (recipient_kind IN ('owner', 'secretariat')),
    member_id        BIGINT REFERENCES members(id),
    -- The ward the message is about (the secretariat's ward, or the owner's):
    -- its dashboard shows the failures.
    ward_id          BIGINT REFERENCES wards(id),
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    -- JSON: [{"id", "title", "due_on", "days_overdue"}], for the delivery log.
    items            TEXT NOT NULL,
    -- 'sending' is a lease: the sender took the message and may have crashed
    -- while talking to the server; it becomes due again at next_attempt_at.
    state            TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'retrying', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    reminder_date    TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    sent_at          TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_ward ON outbox (ward_id, state);

-- The history of every outbox message, written with each state change.
CREATE TABLE outbox_events (
    id           BIGSERIAL PRIMARY KEY,
    outbox_id    BIGINT NOT NULL REFERENCES outbox(id),
    state        TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    error        TEXT,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX outbox_events_outbox ON outbox_events (outbox_id, id);

-- One row per job run (scheduled or from the CLI), for the jobs page.
CREATE TABLE job_runs (
    id           BIGSERIAL PRIMARY KEY,
    job          TEXT NOT NULL,
    reminder_date TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    queued       INTEGER NOT NULL DEFAULT 0,
    skipped      INTEGER NOT NULL DEFAULT 0,
    -- Items nobody could be mailed about (owner or secretariat without an address).
    undeliverable INTEGER NOT NULL DEFAULT 0,
    outcome      TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'error')),
    error        TEXT
);
CREATE INDEX job_runs_job ON job_runs (job, id);

-- iCal subscription feeds (meetings and evaluation due dates), one per ward
-- or per member. The token in the URL is the only credential a calendar app
-- can carry, so it is random (128 bits) and a new one replaces the old.
CREATE TABLE calendar_feeds (
    token       TEXT PRIMARY KEY,
    ward_id     BIGINT REFERENCES wards(id),
    member_id   BIGINT REFERENCES members(id),
    created_at  TEXT NOT NULL,
    CHECK ((ward_id IS NULL) <> (member_id IS NULL))
);
CREATE UNIQUE INDEX calendar_feeds_ward ON calendar_feeds (ward_id) WHERE ward_id IS NOT NULL;
CREATE UNIQUE INDEX calendar_feeds_member ON calendar_feeds (member_id) WHERE member_id IS NOT NULL;
