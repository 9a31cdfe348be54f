-- no-transaction
-- Reminders follow each countermeasure (issue 14). Each item a message
-- carries is a row of outbox_items, the record the job reads to decide
-- when that item is owed its next reminder: the notice before its due date
-- once, then the first overdue reminder, then one every repeat interval,
-- counted from the run date of the message that carried it. The JSON list
-- that the outbox kept instead (`items`) is carried over and dropped.
--
-- 'refused': the server refused the message for good (5xx) or the address
-- cannot be used; 'failed' now means only that the retries on temporary
-- failures ran out. A refused address is listed in refused_addresses and
-- not mailed again until it changes (or a resend of the refused message
-- gets through).
--
-- SQLite cannot change a CHECK constraint in place, so the outbox is
-- rebuilt as 0012 did (foreign keys off outside the transaction).
PRAGMA foreign_keys = OFF;
BEGIN;

-- History rows that changed what an item's reminders follow: its stage,
-- its due date or its owner (written with the row). The last one names the
-- item's current plan; a reminder schedule belongs to one plan.
ALTER TABLE countermeasure_events ADD COLUMN plan_changed INTEGER NOT NULL DEFAULT 0;
UPDATE countermeasure_events SET plan_changed = 1
WHERE to_stage IS NOT NULL OR due_to IS NOT NULL OR changes LIKE '%"owner_member_id"%';
-- The plan each open item is under, for the job's scan: one index seek per item.
CREATE INDEX countermeasure_events_plan ON countermeasure_events (countermeasure_id, id)
    WHERE plan_changed = 1;

CREATE TABLE outbox_items (
    outbox_id          INTEGER NOT NULL REFERENCES outbox(id),
    -- Order in the message (by due date, then id).
    position           INTEGER NOT NULL,
    -- No foreign key: a deleted countermeasure keeps its delivery history.
    countermeasure_id  INTEGER NOT NULL,
    -- 'owner': the owner's reminders (to the owner, or to the secretariat
    -- when the owner has no usable address); 'escalation': the
    -- secretariat's, once the item is overdue past the escalation delay.
    track              TEXT NOT NULL CHECK (track IN ('owner', 'escalation')),
    title              TEXT NOT NULL,
    ward_name          TEXT NOT NULL,
    -- The schedule the reminder belongs to: the due date, the owner and the
    -- last history row that set the stage or the due date. A change of any
    -- of them starts the item's schedule afresh.
    due_on             TEXT NOT NULL,
    owner_member_id    INTEGER,
    plan_event_id      INTEGER NOT NULL,
    -- Days past the due date on the reminder date; 0 or less: a notice.
    days_overdue       INTEGER NOT NULL,
    -- Why the item dropped out before an attempt (evaluated, archived, …);
    -- NULL while the message carries it.
    dropped            TEXT,
    PRIMARY KEY (outbox_id, countermeasure_id, track)
);
-- An item's reminders in its current schedule, for the job's scan.
CREATE INDEX outbox_items_schedule ON outbox_items (countermeasure_id, due_on, track);

INSERT INTO outbox_items (outbox_id, position, countermeasure_id, track, title, ward_name,
    due_on, owner_member_id, plan_event_id, days_overdue)
SELECT o.id, j.key, json_extract(j.value, '$.id'),
       CASE o.recipient_kind WHEN 'owner' THEN 'owner' ELSE 'escalation' END,
       json_extract(j.value, '$.title'),
       COALESCE(json_extract(j.value, '$.ward'), w.name, ''),
       json_extract(j.value, '$.due_on'),
       CASE o.recipient_kind WHEN 'owner' THEN o.member_id ELSE c.owner_member_id END,
       COALESCE((SELECT MAX(e.id) FROM countermeasure_events e
                 WHERE e.countermeasure_id = json_extract(j.value, '$.id')
                   AND e.plan_changed = 1
                   AND e.recorded_at <= o.created_at), 0),
       json_extract(j.value, '$.days_overdue')
FROM outbox o, json_each(CASE WHEN json_valid(o.items) THEN o.items ELSE '[]' END) j
LEFT JOIN countermeasures c ON c.id = json_extract(j.value, '$.id')
LEFT JOIN wards w ON w.id = c.ward_id;

CREATE TABLE outbox_rebuilt (
    id               INTEGER PRIMARY KEY,
    idempotency_key  TEXT NOT NULL UNIQUE,
    message_id       TEXT NOT NULL UNIQUE,
    job              TEXT NOT NULL,
    -- 'owner' (the member owning the items) or 'secretariat' (escalation,
    -- and the items whose owner has no usable address).
    recipient_kind   TEXT NOT NULL CHECK (recipient_kind IN ('owner', 'secretariat')),
    member_id        INTEGER REFERENCES members(id),
    -- The ward the message is about (the secretariat's ward, or the owner's):
    -- its dashboard shows the failures.
    ward_id          INTEGER REFERENCES wards(id),
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    -- 'sending' is a lease: the sender took the message and may have crashed
    -- while talking to the server; it becomes due again at next_attempt_at.
    state            TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'retrying', 'failed', 'refused', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    reminder_date    TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    sent_at          TEXT
);
INSERT INTO outbox_rebuilt (id, idempotency_key, message_id, job, recipient_kind, member_id,
    ward_id, recipient, subject, body_text, body_html, state, attempts, max_attempts,
    next_attempt_at, last_error, reminder_date, created_at, sent_at)
SELECT id, idempotency_key, message_id, job, recipient_kind, member_id,
    ward_id, recipient, subject, body_text, body_html, state, attempts, max_attempts,
    next_attempt_at, last_error, reminder_date, created_at, sent_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_ward ON outbox (ward_id, state);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id)
    WHERE state IN ('queued', 'retrying', 'sending');

-- Addresses the server refused for good (trimmed, lower case). Not mailed
-- again until the member's or ward's address changes, or a resend of the
-- refused message gets through (which removes the row).
CREATE TABLE refused_addresses (
    address     TEXT PRIMARY KEY,
    outbox_id   INTEGER NOT NULL REFERENCES outbox(id),
    refused_at  TEXT NOT NULL
);

COMMIT;
PRAGMA foreign_keys = ON;
