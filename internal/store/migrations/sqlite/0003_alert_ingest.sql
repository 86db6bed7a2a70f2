-- The incident each alert group feeds. Ingesting a group first upserts its
-- row, which serialises concurrent deliveries of one group (across replicas
-- too) before they decide whether to open an incident.
CREATE TABLE alert_groups (
    source      TEXT NOT NULL,
    group_key   TEXT NOT NULL,
    incident_id INTEGER REFERENCES incidents (id) ON DELETE SET NULL,
    PRIMARY KEY (source, group_key)
);

-- Timeline entries that stand for many alerts of one name ("APIHighLatency
-- firing on 240 instances"), so that later alerts update the entry instead
-- of adding one each. Deleting the entry forgets the collapse.
CREATE TABLE alert_entries (
    event_id    INTEGER PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL,
    first_at    DATETIME NOT NULL,
    alerts      INTEGER NOT NULL
);
CREATE INDEX alert_entries_window ON alert_entries (incident_id, name, status, first_at);

-- Deliveries that carry an id (PagerDuty's X-Webhook-Id): a re-delivery is
-- recognised and ignored.
CREATE TABLE webhook_deliveries (
    source      TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    received_at DATETIME NOT NULL,
    PRIMARY KEY (source, delivery_id)
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);

-- "Does this incident still have a firing alert?" after every resolution.
CREATE INDEX alerts_incident_firing ON alerts (incident_id) WHERE status = 'firing';
