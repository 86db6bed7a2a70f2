-- Grafana alerts of organisations other than the first now carry their
-- group key's "orgN:" prefix in their fingerprint too, so that the same
-- alert in two organisations is two alerts. Those stored before get it
-- here, so that their next notification repeats them and their
-- resolution ends them. Only these groups' keys start with "org": the
-- others are Grafana's own, which start with "{".
UPDATE alert_entry_alerts AS x SET fingerprint = split_part(a.group_key, ':', 1) || ':' || x.fingerprint
    FROM alert_entries e, alerts a
    WHERE e.event_id = x.event_id AND a.incident_id = e.incident_id AND a.fingerprint = x.fingerprint
        AND a.source = 'grafana' AND a.group_key LIKE 'org%:%';
UPDATE alerts SET fingerprint = split_part(group_key, ':', 1) || ':' || fingerprint
    WHERE source = 'grafana' AND group_key LIKE 'org%:%';
