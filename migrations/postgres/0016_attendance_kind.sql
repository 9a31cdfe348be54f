-- 多職種の参画状況 counts attendance under the organisation kind the member
-- had *at the meeting*: members carry no history (their kind can be edited
-- later), so each attendance row keeps the kind it was written with. Rows
-- written before this migration take the member's kind as it is now (the
-- best record there is). NOT NULL without a default: a writer that forgot
-- the kind fails instead of recording a wrong one.
ALTER TABLE meeting_attendees ADD COLUMN organization_kind TEXT;
UPDATE meeting_attendees a SET organization_kind = m.organization_kind
    FROM members m WHERE m.id = a.member_id;
ALTER TABLE meeting_attendees ALTER COLUMN organization_kind SET NOT NULL;
-- The participation figures read, per meeting, only the kinds that
-- attended: this index answers them without touching the table.
CREATE INDEX meeting_attendees_kind ON meeting_attendees (meeting_id, organization_kind);

-- Members on the committee per ward and kind (active ones): read from this
-- index alone, in its order, for one ward or all of them.
CREATE INDEX members_kind ON members (active, ward_id, organization_kind);

-- N of the participation flag: a kind that attended none of the ward's last
-- N meetings is flagged. Edited with the reminder settings; NULL = 3.
ALTER TABLE reminder_settings ADD COLUMN absence_window INTEGER;
