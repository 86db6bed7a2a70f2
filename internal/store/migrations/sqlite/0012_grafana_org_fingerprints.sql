-- Grafana alerts of organisations other than the first now carry their
-- group key's "orgN:" prefix in their fingerprint too, so that the same
-- alert in two organisations is two alerts. Those stored before get it
-- here, so that their next notification repeats them and their
-- resolution ends them. Only these groups' keys start with "org", a
-- number and ":" (an organisation's own start with "{", or with the
-- receiver's name when Grafana sent no key).
--
-- An entry of alerts that fired again gains the prefixed fingerprint of
-- such an alert of its name beside the bare one, which an alert of
-- another organisation or sender may share: two rows never raise a count.
INSERT INTO alert_entry_alerts (event_id, fingerprint)
    SELECT DISTINCT x.event_id, substr(a.group_key, 1, instr(a.group_key, ':')) || x.fingerprint
    FROM alert_entry_alerts x
        JOIN alert_entries e ON e.event_id = x.event_id
        JOIN alerts a ON a.incident_id = e.incident_id AND a.fingerprint = x.fingerprint AND a.name = e.name
    WHERE a.source = 'grafana' AND a.group_key GLOB 'org[1-9]*:*'
        AND substr(a.group_key, 4, instr(a.group_key, ':') - 4) NOT GLOB '*[^0-9]*'
    ON CONFLICT DO NOTHING;
UPDATE alerts SET fingerprint = substr(group_key, 1, instr(group_key, ':')) || fingerprint
    WHERE source = 'grafana' AND group_key GLOB 'org[1-9]*:*'
        AND substr(group_key, 4, instr(group_key, ':') - 4) NOT GLOB '*[^0-9]*';
