-- no-transaction
-- 'cancelled': the sender re-reads a message's items right before each
-- attempt; when none of them is owed any more (evaluated, archived, owner
-- changed or inactive, address or due date changed) the message is not sent,
-- and last_error says why. A final state, like 'sent' and 'failed'.
--
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt
-- (https://sqlite.org/lang_altertable.html#otheralter). Foreign keys are off
-- meanwhile, which is only possible outside a transaction (hence the
-- no-transaction line above): dropping the old table would otherwise count
-- every outbox_events row as an orphan. The rebuild itself is one transaction.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE outbox_rebuilt (
    id               INTEGER PRIMARY KEY,
    idempotency_key  TEXT NOT NULL UNIQUE,
    message_id       TEXT NOT NULL UNIQUE,
    job              TEXT NOT NULL,
    -- 'owner' (the member owning the items) or 'secretariat' (escalation).
    recipient_kind   TEXT NOT NULL CHECK (recipient_kind IN ('owner', 'secretariat')),
    member_id        INTEGER REFERENCES members(id),
    -- The ward the message is about (the secretariat's ward, or the owner's):
    -- its dashboard shows the failures.
    ward_id          INTEGER REFERENCES wards(id),
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    -- JSON: [{"id", "title", "ward", "due_on", "days_overdue"}]: what the
    -- message lists (rewritten when items drop out before an attempt).
    items            TEXT NOT NULL,
    -- 'sending' is a lease: the sender took the message and may have crashed
    -- while talking to the server; it becomes due again at next_attempt_at.
    state            TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'retrying', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    reminder_date    TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    sent_at          TEXT
);
INSERT INTO outbox_rebuilt (id, idempotency_key, message_id, job, recipient_kind, member_id,
    ward_id, recipient, subject, body_text, body_html, items, state, attempts, max_attempts,
    next_attempt_at, last_error, reminder_date, created_at, sent_at)
SELECT id, idempotency_key, message_id, job, recipient_kind, member_id,
    ward_id, recipient, subject, body_text, body_html, items, state, attempts, max_attempts,
    next_attempt_at, last_error, reminder_date, created_at, sent_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_ward ON outbox (ward_id, state);
-- As 0009 made it: only the messages still to send.
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id)
    WHERE state IN ('queued', 'retrying', 'sending');
COMMIT;
PRAGMA foreign_keys = ON;
