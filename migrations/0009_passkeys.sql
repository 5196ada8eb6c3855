-- Passkeys (WebAuthn): a user's public-key credentials for signing in without a password.
-- `credential_id` is the authenticator's id for it (unpadded base64url), unique across all
-- accounts; `credential` is the relying-party library's JSON of the public key, signature
-- counter and backup flags. Deleting the account deletes its passkeys.
CREATE TABLE passkeys (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    credential_id  TEXT NOT NULL UNIQUE,
    credential     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT
);

CREATE INDEX passkeys_user_id ON passkeys (user_id, created_at);
