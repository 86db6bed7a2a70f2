-- Who changed what, when, with old and new values. Rows are only ever
-- inserted, in the transaction of the change they record.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          DATETIME NOT NULL,
    actor       TEXT NOT NULL,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    entity      TEXT NOT NULL,
    entity_id   INTEGER NOT NULL,
    action      TEXT NOT NULL,
    changes     TEXT NOT NULL
);
CREATE INDEX audit_log_incident ON audit_log (incident_id, id);
