-- Fingerprints are hashes, so a key that puts them before starts_at sent
-- every alert of a storm to a random page of the index; with starts_at
-- first, alerts that start now are added at its end. ON CONFLICT names the
-- columns in another order, which finds the constraint all the same.
ALTER TABLE alerts DROP CONSTRAINT alerts_source_fingerprint_starts_at_key;
ALTER TABLE alerts ADD CONSTRAINT alerts_occurrence UNIQUE (source, starts_at, fingerprint);
-- Ends by fingerprint alone (PagerDuty, scripts) look in the group, which
-- these senders key by the fingerprint. Under a storm of one Alertmanager
-- group the key does not change, and new alerts go to the end here too.
CREATE INDEX alerts_group_firing ON alerts (source, group_key) WHERE status = 'firing';
-- An incident's alerts, and those of none (which pile up below the open-at
-- threshold), are listed by start: read in the index's order, not sorted.
DROP INDEX alerts_incident;
CREATE INDEX alerts_incident ON alerts (incident_id, starts_at, id);
