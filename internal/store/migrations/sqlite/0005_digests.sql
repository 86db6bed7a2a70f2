-- One row per day of the daily task reminder. The primary key on the day
-- is what keeps two servers (or one restarted) from sending a day twice:
-- the one whose insert succeeds sends.
CREATE TABLE digests (
    day         TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    claimed_by  TEXT NOT NULL,
    claimed_at  DATETIME NOT NULL,
    lease_until DATETIME NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    in_doubt    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    sent_at     DATETIME,
    overdue     INTEGER NOT NULL DEFAULT 0,
    due_soon    INTEGER NOT NULL DEFAULT 0,
    text        TEXT NOT NULL DEFAULT ''
);
