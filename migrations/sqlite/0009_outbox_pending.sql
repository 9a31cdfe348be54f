-- The sender's claim takes the pending message due first
-- (`state IN (…) … ORDER BY next_attempt_at, id LIMIT 1`). With a backlog
-- of 30,000 that was a scan and a sort per message (95 ms on PostgreSQL),
-- so draining it cost time quadratic in its size; this index hands out the
-- first one directly and holds only messages still to send.
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id)
    WHERE state IN ('queued', 'retrying', 'sending');
