-- Fingerprints are hashes, so a key that puts them before starts_at sent
-- every alert of a storm to a random page of the index; with starts_at
-- first, alerts that start now are added at its end. SQLite cannot change
-- a table's constraint, hence the copy.
CREATE TABLE alerts_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    group_key   TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    labels      TEXT NOT NULL DEFAULT '{}',
    annotations TEXT NOT NULL DEFAULT '{}',
    status      TEXT NOT NULL,
    starts_at   DATETIME NOT NULL,
    ends_at     DATETIME,
    incident_id INTEGER REFERENCES incidents (id) ON DELETE SET NULL,
    received_at DATETIME NOT NULL,
    UNIQUE (source, starts_at, fingerprint)
);
-- An alert of an incident deleted while foreign keys were off (by hand, in
-- the sqlite3 shell) loses the reference, as ON DELETE SET NULL would have
-- done, rather than fail the copy and keep the server from starting.
INSERT INTO alerts_new (id, source, fingerprint, group_key, name, labels, annotations, status,
        starts_at, ends_at, incident_id, received_at)
    SELECT id, source, fingerprint, group_key, name, labels, annotations, status,
        starts_at, ends_at, CASE WHEN incident_id IN (SELECT id FROM incidents) THEN incident_id END, received_at
    FROM alerts;
-- The ids of deleted alerts are never handed out again.
DELETE FROM sqlite_sequence WHERE name = 'alerts_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'alerts_new', seq FROM sqlite_sequence WHERE name = 'alerts';
DROP TABLE alerts;
ALTER TABLE alerts_new RENAME TO alerts;
-- An incident's alerts, and those of none (which pile up below the open-at
-- threshold), are listed by start: read in the index's order, not sorted.
CREATE INDEX alerts_incident ON alerts (incident_id, starts_at);
CREATE INDEX alerts_incident_firing ON alerts (incident_id) WHERE status = 'firing';
-- Ends by fingerprint alone (PagerDuty, scripts) look in the group, which
-- these senders key by the fingerprint. Under a storm of one Alertmanager
-- group the key does not change, and new alerts go to the end here too.
CREATE INDEX alerts_group_firing ON alerts (source, group_key) WHERE status = 'firing';
