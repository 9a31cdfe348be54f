-- The ward dashboard's overview, stored (issue 17's performance target: its
-- sections read a ward's and its city's history, ~2 ms a page).
--
-- `municipalities.data_version` moves with every audit row of one of its
-- wards or of its own settings (audit::store::record), in the same
-- transaction as the change. A stored overview is used only while the
-- version it was computed from is the current one and its day (`as_of`,
-- Tokyo) is today, so every instance sees the same and none serves stale
-- figures. A data migration that changes what an overview shows must clear
-- this table; a change of its shape moves `format` (dashboard::OVERVIEW_FORMAT).
ALTER TABLE municipalities ADD COLUMN data_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE ward_overviews (
    ward_id       INTEGER PRIMARY KEY REFERENCES wards(id) ON DELETE CASCADE,
    as_of         TEXT NOT NULL,
    data_version  INTEGER NOT NULL,
    format        INTEGER NOT NULL,
    -- The overview as JSON (dashboard::Overview).
    body          TEXT NOT NULL
);
