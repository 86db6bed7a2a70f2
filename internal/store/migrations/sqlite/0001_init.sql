CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('incident_ref', 0);

CREATE TABLE incidents (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    ref               TEXT NOT NULL UNIQUE,
    title             TEXT NOT NULL,
    severity          TEXT NOT NULL,
    status            TEXT NOT NULL,
    impact            TEXT NOT NULL DEFAULT '',
    root_cause        TEXT NOT NULL DEFAULT '',
    resolution        TEXT NOT NULL DEFAULT '',
    conclusion        TEXT NOT NULL DEFAULT '',
    commander         TEXT NOT NULL DEFAULT '',
    postmortem_status TEXT NOT NULL DEFAULT 'draft',
    started_at        DATETIME,
    detected_at       DATETIME,
    acknowledged_at   DATETIME,
    mitigated_at      DATETIME,
    resolved_at       DATETIME,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX incidents_started ON incidents (started_at DESC, id DESC);
CREATE INDEX incidents_status ON incidents (status);

CREATE TABLE incident_services (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (incident_id, name)
);
CREATE INDEX incident_services_name ON incident_services (name);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    at          DATETIME NOT NULL,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    author      TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL,
    highlight   INTEGER NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);
CREATE INDEX events_incident_at ON events (incident_id, at, id);

CREATE TABLE root_causes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    category    TEXT NOT NULL,
    is_primary  INTEGER NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL
);
CREATE INDEX root_causes_incident ON root_causes (incident_id);

CREATE TABLE root_cause_evidence (
    root_cause_id INTEGER NOT NULL REFERENCES root_causes (id) ON DELETE CASCADE,
    event_id      INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    PRIMARY KEY (root_cause_id, event_id)
);
CREATE INDEX root_cause_evidence_event ON root_cause_evidence (event_id);

CREATE TABLE tasks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id   INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    owner         TEXT NOT NULL DEFAULT '',
    due_at        DATETIME,
    priority      TEXT NOT NULL,
    status        TEXT NOT NULL,
    external_url  TEXT NOT NULL DEFAULT '',
    completed_at  DATETIME,
    root_cause_id INTEGER REFERENCES root_causes (id) ON DELETE SET NULL,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);
CREATE INDEX tasks_incident ON tasks (incident_id);
CREATE INDEX tasks_status_due ON tasks (status, due_at);
CREATE INDEX tasks_root_cause ON tasks (root_cause_id);

CREATE TABLE alerts (
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
    UNIQUE (source, fingerprint, starts_at)
);
CREATE INDEX alerts_incident ON alerts (incident_id);
CREATE INDEX alerts_group ON alerts (source, group_key);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    DATETIME NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   DATETIME NOT NULL,
    revoked_at   DATETIME
);
