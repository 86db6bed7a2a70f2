-- Timeline entries a sender reported for an alert group that had no
-- incident yet (a PagerDuty note delivered before its incident's trigger,
-- which PagerDuty's retries can do): the incident the group opens takes
-- them. Those of groups that never open one are forgotten with the ids of
-- deliveries (PruneDeliveries).
CREATE TABLE pending_entries (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    group_key   TEXT NOT NULL,
    at          DATETIME NOT NULL,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    author      TEXT NOT NULL,
    received_at DATETIME NOT NULL
);
CREATE INDEX pending_entries_group ON pending_entries (source, group_key);
CREATE INDEX pending_entries_received ON pending_entries (received_at);
