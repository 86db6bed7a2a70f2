-- Whether an incident's alerts had all resolved at a moment is told by its
-- firing alerts that had started by then: with their starts in the index,
-- by the first entry, rather than by reading every alert that resolved
-- before them. The same index still finds and counts an incident's firing
-- alerts, and a storm of new ones adds to its end.
DROP INDEX IF EXISTS alerts_incident_firing;
CREATE INDEX alerts_incident_firing ON alerts (incident_id, starts_at) WHERE status = 'firing';
