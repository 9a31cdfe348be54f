-- The ward dashboard's overview, stored; the SQLite twin explains the rule
-- (a stored overview counts only at the municipality's current
-- data_version and on its own day).
ALTER TABLE municipalities ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;

CREATE TABLE ward_overviews (
    ward_id       BIGINT PRIMARY KEY REFERENCES wards(id) ON DELETE CASCADE,
    as_of         TEXT NOT NULL,
    data_version  BIGINT NOT NULL,
    format        INTEGER NOT NULL,
    body          TEXT NOT NULL
);
