-- Two-factor authentication with an authenticator app (TOTP, RFC 6238).
--
-- One authenticator per account. The shared secret is stored encrypted (XChaCha20-Poly1305
-- under a key derived from NEOFORGE_SECRET, bound to the user id). `confirmed_at` is NULL
-- while an enrolment waits for its first code; only a confirmed row turns two-factor on.
-- `last_used_step` is the newest 30-second time step whose code was accepted: a code is
-- accepted once only, and never one older than the last.
CREATE TABLE totp_credentials (
    user_id           TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_encrypted  TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    confirmed_at      BIGINT,
    last_used_step    BIGINT
);

-- Single-use recovery codes, stored as SHA-256 hashes (they are random 80-bit codes).
CREATE TABLE recovery_codes (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    used_at     BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- A sign-in whose first factor (password, provider, ...) succeeded and that waits for the
-- second: the `mfa_token` handed to the client, stored hashed. Single-use (`used_at`),
-- short-lived, and ended after too many wrong codes (`failures`).
CREATE TABLE mfa_challenges (
    token_hash    TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    first_factor  TEXT NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT
);

CREATE INDEX mfa_challenges_user_id ON mfa_challenges (user_id);
CREATE INDEX mfa_challenges_expires_at ON mfa_challenges (expires_at);
