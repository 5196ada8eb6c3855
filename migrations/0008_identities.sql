-- Accounts at other identity providers (OpenID Connect, GitHub) linked to an account here:
-- signing in there as `subject` signs in here as `user_id`. `subject` is the provider's own
-- stable id of the user (OIDC `sub`), never the email, which can change hands; `email` is the
-- address the provider last reported, shown to the user to tell their links apart.
CREATE TABLE identities (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider      TEXT NOT NULL,
    subject       TEXT NOT NULL,
    email         TEXT,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT NOT NULL,
    UNIQUE (provider, subject)
);

CREATE INDEX identities_user_id ON identities (user_id, created_at);
