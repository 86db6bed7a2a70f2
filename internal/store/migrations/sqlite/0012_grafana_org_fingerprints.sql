-- Grafana alerts of organisations other than the first now carry their
-- group key's "orgN:" prefix in their fingerprint too, so that the same
-- alert in two organisations is two alerts. Those stored before get it
-- here, so that their next notification repeats them and their
-- resolution ends them. Only these groups' keys start with "org": the
-- others are Grafana's own, which start with "{".
UPDATE alert_entry_alerts SET fingerprint = (
        SELECT substr(a.group_key, 1, instr(a.group_key, ':')) || alert_entry_alerts.fingerprint
        FROM alert_entries e JOIN alerts a ON a.incident_id = e.incident_id AND a.fingerprint = alert_entry_alerts.fingerprint
        WHERE e.event_id = alert_entry_alerts.event_id AND a.source = 'grafana' AND a.group_key LIKE 'org%:%'
        LIMIT 1)
    WHERE EXISTS (
        SELECT 1 FROM alert_entries e JOIN alerts a ON a.incident_id = e.incident_id AND a.fingerprint = alert_entry_alerts.fingerprint
        WHERE e.event_id = alert_entry_alerts.event_id AND a.source = 'grafana' AND a.group_key LIKE 'org%:%');
UPDATE alerts SET fingerprint = substr(group_key, 1, instr(group_key, ':')) || fingerprint
    WHERE source = 'grafana' AND group_key LIKE 'org%:%';
