DROP TABLE logout_deliveries;
DROP INDEX grants_session;
ALTER TABLE grants DROP COLUMN logout_queued_at;
ALTER TABLE apps DROP COLUMN backchannel_logout_session_required;
ALTER TABLE apps DROP COLUMN backchannel_logout_uri;
