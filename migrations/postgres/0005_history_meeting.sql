-- The meeting at which a step of a countermeasure's history was decided
-- (the meeting form's review of open countermeasures); NULL for steps
-- recorded on the countermeasure's own page or by the API.
ALTER TABLE countermeasure_events ADD COLUMN meeting_id BIGINT REFERENCES meetings(id);
CREATE INDEX countermeasure_events_meeting ON countermeasure_events (meeting_id);
