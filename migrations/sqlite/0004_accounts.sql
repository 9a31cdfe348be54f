-- Accounts, their sessions and API tokens, and login throttling.
--
-- role: 'admin' (installation operator, no municipality), 'city' (市の担当課),
-- 'secretariat' (区の事務局), 'member' (委員), 'viewer'.
-- municipality_id is NULL only for 'admin'; ward_id is NULL for city-level
-- accounts ('city', and 'viewer' at city level).
CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,      -- stored lower-cased
    display_name    TEXT NOT NULL DEFAULT '',
    role            TEXT NOT NULL,
    municipality_id INTEGER REFERENCES municipalities(id),
    ward_id         INTEGER REFERENCES wards(id),
    member_id       INTEGER REFERENCES members(id),
    -- argon2id PHC string; NULL until a password is set (invited accounts).
    password_hash   TEXT,
    disabled        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
);

-- Server-side sessions. The cookie carries a random 256-bit value; only its
-- SHA-256 is stored, so a leaked table does not yield usable cookies.
-- csrf_token is the synchronizer token every form of the session must echo.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  INTEGER NOT NULL               -- epoch seconds
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Named API bearer tokens: shown once, stored as SHA-256, revocable.
CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

-- Failed sign-ins, per key ('email:<sha256>' or 'addr:<ip>'), for throttling
-- that holds across restarts and instances. Rows older than the window are
-- ignored and pruned.
CREATE TABLE login_failures (
    id          INTEGER PRIMARY KEY,
    throttle_key TEXT NOT NULL,
    failed_at   INTEGER NOT NULL               -- epoch seconds
);
CREATE INDEX login_failures_key ON login_failures (throttle_key, failed_at);

-- Which signed-in account recorded each step of a countermeasure's history
-- (the free-text `actor` stays what the user typed, e.g. 「北区事務局」).
ALTER TABLE countermeasure_events ADD COLUMN recorded_by_account_id INTEGER REFERENCES accounts(id);

-- One-time password-reset links: the mailed value's SHA-256, valid until
-- expires_at (epoch seconds) and only until used.
CREATE TABLE password_resets (
    token_hash  TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    expires_at  INTEGER NOT NULL,
    used_at     TEXT
);
