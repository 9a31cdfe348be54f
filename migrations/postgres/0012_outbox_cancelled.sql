-- 'cancelled': the sender re-reads a message's items right before each
-- attempt; when none of them is owed any more (evaluated, archived, owner
-- changed or inactive, address or due date changed) the message is not sent,
-- and last_error says why. A final state, like 'sent' and 'failed'.
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_state_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_state_check
    CHECK (state IN ('queued', 'sending', 'sent', 'retrying', 'failed', 'cancelled'));
