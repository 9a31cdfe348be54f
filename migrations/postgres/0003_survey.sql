-- PostgreSQL twin of migrations/sqlite/0003_survey.sql (ids BIGSERIAL,
-- references BIGINT; see 0001_core.sql).

-- The half-year survey (事業項目 ア〜キ) and the city's summaries.
--
-- One row per ward and period holds the ward's answers as a JSON document:
-- the secretariat edits and submits them as one unit, the report reads them
-- all for a period at once, and their shape is checked by the typed
-- catalogues in src/survey/mod.rs on every write. (イ)'s 会議の内容 and
-- 対応策の具体化 are not stored: they are derived from meetings and
-- countermeasures whenever they are shown.
CREATE TABLE surveys (
    id            BIGSERIAL PRIMARY KEY,
    ward_id       BIGINT NOT NULL REFERENCES wards(id),
    -- The fiscal half-year code, e.g. '2017H1'.
    period        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('下書き', '提出済')),
    answers       TEXT NOT NULL,
    submitted_at  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (ward_id, period)
);
CREATE INDEX surveys_period ON surveys (period, status);

-- The city's summary of next actions per survey section (ア〜キ).
CREATE TABLE survey_summaries (
    municipality_id  BIGINT NOT NULL REFERENCES municipalities(id),
    period           TEXT NOT NULL,
    section          TEXT NOT NULL,
    text             TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (municipality_id, period, section)
);
