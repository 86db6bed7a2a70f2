-- Markdown of imported postmortems that maps onto no other field, kept so
-- that exporting the postmortem again loses nothing.
ALTER TABLE incidents ADD COLUMN extra TEXT NOT NULL DEFAULT '';
