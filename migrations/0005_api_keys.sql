-- Personal API keys: a program acting for its user within the key's scopes. Only a hash of
-- the secret is kept; `prefix` is the first characters of the key, shown so the user can
-- tell their keys apart. Revoking deletes the row (the audit log keeps the record).
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    secret_hash   TEXT NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    expires_at    BIGINT
);

CREATE INDEX api_keys_user_id ON api_keys (user_id, created_at);
