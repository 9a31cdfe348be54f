-- PostgreSQL twin of migrations/sqlite/0001_core.sql: the same tables,
-- columns, constraints and indexes, so one set of queries serves both.
-- Differences: ids are BIGSERIAL and references BIGINT (SQLite's INTEGER
-- PRIMARY KEY is a 64-bit rowid), as is an integer the API takes unbounded
-- (sort_order); everything else keeps the SQLite types, which sqlx's Any
-- driver carries on both: flags and bounded numbers stay INTEGER (the code
-- binds and reads i64; Any decodes any integer width), dates and instants TEXT.
-- A new migration is written twice, once per folder, with the same number.

-- Core schema: municipalities → wards → members, meetings, countermeasures.
-- Column types stay within what sqlx's Any driver carries (integers, TEXT):
-- dates are ISO `YYYY-MM-DD` text, instants RFC 3339 UTC text, flags 0/1.

CREATE TABLE municipalities (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

-- A municipality without wards has one row here standing for its whole area.
CREATE TABLE wards (
    id               BIGSERIAL PRIMARY KEY,
    municipality_id  BIGINT NOT NULL REFERENCES municipalities(id),
    name             TEXT NOT NULL,
    -- BIGINT: the API takes any i64 here, as SQLite's INTEGER stores.
    sort_order       BIGINT NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    UNIQUE (municipality_id, name)
);

CREATE TABLE members (
    id                 BIGSERIAL PRIMARY KEY,
    ward_id            BIGINT NOT NULL REFERENCES wards(id),
    name               TEXT NOT NULL,
    organization       TEXT NOT NULL,
    organization_kind  TEXT NOT NULL,
    email              TEXT,
    active             INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX members_ward ON members (ward_id, active);

CREATE TABLE meetings (
    id          BIGSERIAL PRIMARY KEY,
    ward_id     BIGINT NOT NULL REFERENCES wards(id),
    held_on     TEXT NOT NULL,
    title       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    minutes     TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX meetings_ward_held ON meetings (ward_id, held_on);

CREATE TABLE meeting_topics (
    meeting_id  BIGINT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    topic       INTEGER NOT NULL CHECK (topic BETWEEN 1 AND 10),
    PRIMARY KEY (meeting_id, topic)
);

CREATE TABLE meeting_attendees (
    meeting_id  BIGINT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    member_id   BIGINT NOT NULL REFERENCES members(id),
    PRIMARY KEY (meeting_id, member_id)
);
CREATE INDEX meeting_attendees_member ON meeting_attendees (member_id);

CREATE TABLE countermeasures (
    id                 BIGSERIAL PRIMARY KEY,
    ward_id            BIGINT NOT NULL REFERENCES wards(id),
    topic              INTEGER NOT NULL CHECK (topic BETWEEN 1 AND 10),
    scene              TEXT,
    title              TEXT NOT NULL,
    issue              TEXT NOT NULL DEFAULT '',
    plan               TEXT NOT NULL DEFAULT '',
    owner_member_id    BIGINT REFERENCES members(id),
    evaluation_due_on  TEXT,
    -- A meeting that decided countermeasures cannot be deleted (409), so no ON DELETE here.
    meeting_id         BIGINT REFERENCES meetings(id),
    stage              TEXT NOT NULL CHECK (stage IN ('未具体化', '具体化', '評価改善')),
    evaluation         TEXT,
    improvement        TEXT,
    archived           INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX countermeasures_ward_topic ON countermeasures (ward_id, topic);
-- The overdue scan: stage 具体化, not archived, due before today.
CREATE INDEX countermeasures_due ON countermeasures (stage, archived, evaluation_due_on);
CREATE INDEX countermeasures_meeting ON countermeasures (meeting_id);

-- The timeline of a countermeasure: one row per change, written in the
-- same transaction as the change itself.
CREATE TABLE countermeasure_events (
    id                 BIGSERIAL PRIMARY KEY,
    countermeasure_id  BIGINT NOT NULL REFERENCES countermeasures(id),
    kind               TEXT NOT NULL,
    from_stage         TEXT,
    to_stage           TEXT,
    occurred_on        TEXT NOT NULL,
    actor              TEXT,
    note               TEXT NOT NULL DEFAULT '',
    evaluation         TEXT,
    improvement        TEXT,
    changes            TEXT NOT NULL DEFAULT '{}',
    recorded_at        TEXT NOT NULL
);
CREATE INDEX countermeasure_events_cm ON countermeasure_events (countermeasure_id, id);

-- Every write to members, meetings and countermeasures, with the changed fields.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    ward_id     BIGINT,
    entity      TEXT NOT NULL,
    entity_id   BIGINT NOT NULL,
    action      TEXT NOT NULL,
    actor       TEXT,
    changes     TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_log_ward ON audit_log (ward_id, recorded_at);
