-- 多職種の参画状況 counts attendance under the organisation kind the member
-- had *at the meeting*: members carry no history (their kind can be edited
-- later), so each attendance row keeps the kind it was written with. Rows
-- written before this migration take the member's kind as it is now (the
-- best record there is).
--
-- SQLite cannot add a NOT NULL column without a default, and a default would
-- hide a writer that forgot the kind, so the table is rebuilt
-- (https://sqlite.org/lang_altertable.html#otheralter). No table references
-- meeting_attendees, so foreign keys can stay on inside the migration's
-- transaction.
CREATE TABLE meeting_attendees_rebuilt (
    meeting_id         INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    member_id          INTEGER NOT NULL REFERENCES members(id),
    -- The member's OrganizationKind label (医師会, 病院 …) when the
    -- attendance was recorded.
    organization_kind  TEXT NOT NULL,
    PRIMARY KEY (meeting_id, member_id)
);
INSERT INTO meeting_attendees_rebuilt (meeting_id, member_id, organization_kind)
    SELECT a.meeting_id, a.member_id, m.organization_kind
    FROM meeting_attendees a JOIN members m ON m.id = a.member_id;
DROP TABLE meeting_attendees;
ALTER TABLE meeting_attendees_rebuilt RENAME TO meeting_attendees;
CREATE INDEX meeting_attendees_member ON meeting_attendees (member_id);
-- The participation figures read, per meeting, only the kinds that
-- attended: this index answers them without touching the table.
CREATE INDEX meeting_attendees_kind ON meeting_attendees (meeting_id, organization_kind);

-- Members on the committee per ward and kind (active ones): read from this
-- index alone, in its order, for one ward or all of them.
CREATE INDEX members_kind ON members (active, ward_id, organization_kind);

-- N of the participation flag: a kind that attended none of the ward's last
-- N meetings is flagged. Edited with the reminder settings; NULL = 3.
ALTER TABLE reminder_settings ADD COLUMN absence_window INTEGER;
