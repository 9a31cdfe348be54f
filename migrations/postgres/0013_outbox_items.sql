-- Reminders follow each countermeasure (issue 14); see the SQLite file of
-- the same name for the model. Each item a message carries is a row of
-- outbox_items; the outbox's JSON list is carried over and dropped;
-- 'refused' marks a permanent refusal, 'failed' retries run out.
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
    outbox_id          BIGINT NOT NULL REFERENCES outbox(id),
    position           INTEGER NOT NULL,
    countermeasure_id  BIGINT NOT NULL,
    track              TEXT NOT NULL CHECK (track IN ('owner', 'escalation')),
    title              TEXT NOT NULL,
    ward_name          TEXT NOT NULL,
    due_on             TEXT NOT NULL,
    owner_member_id    BIGINT,
    plan_event_id      BIGINT NOT NULL,
    days_overdue       INTEGER NOT NULL,
    dropped            TEXT,
    PRIMARY KEY (outbox_id, countermeasure_id, track)
);
CREATE INDEX outbox_items_schedule ON outbox_items (countermeasure_id, due_on, track);

INSERT INTO outbox_items (outbox_id, position, countermeasure_id, track, title, ward_name,
    due_on, owner_member_id, plan_event_id, days_overdue)
SELECT o.id, (j.n - 1)::int, (j.value->>'id')::bigint,
       CASE o.recipient_kind WHEN 'owner' THEN 'owner' ELSE 'escalation' END,
       j.value->>'title',
       COALESCE(j.value->>'ward', w.name, ''),
       j.value->>'due_on',
       CASE o.recipient_kind WHEN 'owner' THEN o.member_id ELSE c.owner_member_id END,
       COALESCE((SELECT MAX(e.id) FROM countermeasure_events e
                 WHERE e.countermeasure_id = (j.value->>'id')::bigint
                   AND e.plan_changed = 1
                   AND e.recorded_at <= o.created_at), 0),
       (j.value->>'days_overdue')::int
FROM outbox o
CROSS JOIN LATERAL jsonb_array_elements(o.items::jsonb) WITH ORDINALITY AS j(value, n)
LEFT JOIN countermeasures c ON c.id = (j.value->>'id')::bigint
LEFT JOIN wards w ON w.id = c.ward_id;

ALTER TABLE outbox DROP COLUMN items;
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_state_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_state_check
    CHECK (state IN ('queued', 'sending', 'sent', 'retrying', 'failed', 'refused', 'cancelled'));

CREATE TABLE refused_addresses (
    address     TEXT PRIMARY KEY,
    outbox_id   BIGINT NOT NULL REFERENCES outbox(id),
    refused_at  TEXT NOT NULL
);
