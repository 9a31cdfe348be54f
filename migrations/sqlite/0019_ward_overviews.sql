-- The ward dashboard's overview, stored (issue 17's performance target: its
-- sections read a ward's and its city's history, ~2-3 ms a page).
--
-- Two parts. `ward_overviews`: what only the ward's own records decide,
-- counted at `wards.data_version`. `city_overviews`: what compares it with
-- its city (the city's pooled figures, every ward's consultation shares),
-- counted at `municipalities.data_version`, once for all its wards.
-- audit::store::record moves both versions with every audit row, in the
-- change's transaction: a ward's row moves its own and its municipality's,
-- a municipality's settings move the municipality's and all its wards'.
-- A stored part is used only at the current version and on its own day
-- (`as_of`, Tokyo), so every instance sees the same and none serves stale
-- figures. A data migration that changes what an overview shows must clear
-- both tables; a change of their shape moves `format`
-- (dashboard::OVERVIEW_FORMAT).
ALTER TABLE municipalities ADD COLUMN data_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wards ADD COLUMN data_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE ward_overviews (
    ward_id       INTEGER PRIMARY KEY REFERENCES wards(id) ON DELETE CASCADE,
    as_of         TEXT NOT NULL,
    data_version  INTEGER NOT NULL,
    format        INTEGER NOT NULL,
    -- JSON (dashboard::WardPart).
    body          TEXT NOT NULL
);

CREATE TABLE city_overviews (
    municipality_id  INTEGER PRIMARY KEY REFERENCES municipalities(id) ON DELETE CASCADE,
    as_of            TEXT NOT NULL,
    data_version     INTEGER NOT NULL,
    format           INTEGER NOT NULL,
    -- JSON (dashboard::CityPart).
    body             TEXT NOT NULL
);
