-- Browser sign-in: sessions, the failed sign-in counter and the one-time
-- set-up link. Secrets are stored as SHA-256 hashes only.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  DATETIME NOT NULL,
    expires_at  DATETIME NOT NULL,
    flash       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE login_attempts (
    email        TEXT PRIMARY KEY,
    attempts     INTEGER NOT NULL,
    window_start DATETIME NOT NULL
);
CREATE INDEX login_attempts_window ON login_attempts (window_start);

CREATE TABLE setup_tokens (
    token_hash  TEXT PRIMARY KEY,
    created_at  DATETIME NOT NULL,
    expires_at  DATETIME NOT NULL
);
