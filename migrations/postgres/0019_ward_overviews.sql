-- The ward dashboard's overview, stored in a ward part and a city part;
-- the SQLite twin explains the rule (a stored part counts only at its
-- ward's or municipality's current data_version and on its own day).
ALTER TABLE municipalities ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE wards ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;

CREATE TABLE ward_overviews (
    ward_id       BIGINT PRIMARY KEY REFERENCES wards(id) ON DELETE CASCADE,
    as_of         TEXT NOT NULL,
    data_version  BIGINT NOT NULL,
    format        INTEGER NOT NULL,
    body          TEXT NOT NULL
);

CREATE TABLE city_overviews (
    municipality_id  BIGINT PRIMARY KEY REFERENCES municipalities(id) ON DELETE CASCADE,
    as_of            TEXT NOT NULL,
    data_version     BIGINT NOT NULL,
    format           INTEGER NOT NULL,
    body             TEXT NOT NULL
);
