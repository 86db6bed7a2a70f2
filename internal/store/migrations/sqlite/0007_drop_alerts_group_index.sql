-- No query looks alerts up by their group (groups live in alert_groups),
-- and every alert of a storm paid for this index on insert.
DROP INDEX IF EXISTS alerts_group;
