CREATE TABLE todos (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    completed   INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Ids are UUIDv7, so id order is creation order: one index serves "newest first" lists and
-- counts per user, the other the same filtered by status (and the stats query).
CREATE INDEX todos_user_id_id ON todos (user_id, id);
CREATE INDEX todos_user_id_completed_id ON todos (user_id, completed, id);
