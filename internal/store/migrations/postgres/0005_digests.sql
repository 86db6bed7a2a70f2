-- One row per day of the daily task reminder. The primary key on the day
-- is what keeps two servers (or one restarted) from sending a day twice:
-- the one whose insert succeeds sends.
CREATE TABLE digests (
    day         TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    claimed_by  TEXT NOT NULL,
    claimed_at  TIMESTAMPTZ NOT NULL,
    lease_until TIMESTAMPTZ NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    in_doubt    BOOLEAN NOT NULL DEFAULT FALSE,
    last_error  TEXT NOT NULL DEFAULT '',
    sent_at     TIMESTAMPTZ,
    overdue     INTEGER NOT NULL DEFAULT 0,
    due_soon    INTEGER NOT NULL DEFAULT 0,
    text        TEXT NOT NULL DEFAULT ''
);
