-- Password-reset requests, counted per address and per client so that a
-- flood of requests sends no more mail (the form answers the same anyway).
-- throttle_key carries no address in clear: 'email:<sha256>' or 'addr:<ip>'.
CREATE TABLE reset_requests (
    id           BIGSERIAL PRIMARY KEY,
    throttle_key TEXT NOT NULL,
    requested_at BIGINT NOT NULL               -- epoch seconds
);
CREATE INDEX reset_requests_key ON reset_requests (throttle_key, requested_at);
