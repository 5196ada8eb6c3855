-- Refresh tokens already rotated out of a session. Presenting one again means it was stolen
-- (or replayed): the whole session is revoked.
CREATE TABLE used_refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    used_at     BIGINT NOT NULL
);

CREATE INDEX used_refresh_tokens_session_id ON used_refresh_tokens (session_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Single-use tokens sent by email (address verification, password reset), stored hashed.
CREATE TABLE email_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

CREATE INDEX email_tokens_user_id ON email_tokens (user_id, purpose);
CREATE INDEX email_tokens_expires_at ON email_tokens (expires_at);

-- The durable job queue. A job is inserted in the transaction of the change that causes it;
-- workers claim it by moving it to `running` with a lease, so a crashed worker's job is
-- claimed again once the lease runs out.
CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'dead')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL,
    run_at        BIGINT NOT NULL,
    locked_until  BIGINT,
    last_error    TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE INDEX jobs_status_run_at ON jobs (status, run_at);

-- Security events. No foreign keys: the record outlives the accounts it mentions.
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    at          BIGINT NOT NULL,
    event       TEXT NOT NULL,
    user_id     TEXT,
    actor_id    TEXT,
    ip          TEXT,
    user_agent  TEXT,
    details     TEXT NOT NULL
);

CREATE INDEX audit_log_user_id_id ON audit_log (user_id, id);
CREATE INDEX audit_log_event_id ON audit_log (event, id);
