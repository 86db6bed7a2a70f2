-- A timeline entry of alerts counts instances: an alert that fires again
-- (or resolves again) within the entry's window is found here, among the
-- resolved alerts of the incident, and goes to an entry of its own. Only
-- resolved alerts: a storm of new ones does not write to this index.
CREATE INDEX alerts_incident_resolved ON alerts (incident_id, fingerprint) WHERE status = 'resolved';
