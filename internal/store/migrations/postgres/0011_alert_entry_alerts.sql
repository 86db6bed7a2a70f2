-- The alerts an entry of alerts that fired (or resolved) again stands
-- for, so that one that flaps, doing so several times within the entry's
-- window, counts once: that entry's count is of instances. Entries of
-- first firings need none: an alert that fires twice within a window
-- does so again the second time.
CREATE TABLE alert_entry_alerts (
    event_id    BIGINT NOT NULL REFERENCES alert_entries (event_id) ON DELETE CASCADE,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (event_id, fingerprint)
);
