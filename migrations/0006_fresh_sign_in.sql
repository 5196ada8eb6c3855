-- When the session last proved who its user is (signing in, or confirming the password
-- again): sensitive changes need it to be recent. Sessions from before this column count as
-- long ago, so they are asked to confirm.
ALTER TABLE sessions ADD COLUMN authenticated_at BIGINT NOT NULL DEFAULT 0;
