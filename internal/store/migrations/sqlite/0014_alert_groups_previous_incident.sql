-- While a group's incident is open, alerts of the group that started before
-- the incident it fed before was detected came late: in order, they would
-- have fed that one, and they stay unattached. Set when the group opens an
-- incident; groups whose incident opened before this column are not told.
ALTER TABLE alert_groups ADD COLUMN previous_incident_id INTEGER REFERENCES incidents (id) ON DELETE SET NULL;
