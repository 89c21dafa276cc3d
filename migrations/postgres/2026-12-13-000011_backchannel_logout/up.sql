-- OpenID Connect Back-Channel Logout: an app may name where it is told that a session or grant ended.
ALTER TABLE apps ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE apps ADD COLUMN backchannel_logout_session_required BOOLEAN NOT NULL DEFAULT FALSE;

-- When an app was (to be) told that this grant ended: each grant is told once, whatever ends it.
ALTER TABLE grants ADD COLUMN logout_queued_at BIGINT;
CREATE INDEX grants_session ON grants(session_id);

-- Logout tokens waiting to be delivered, with leases and retries like the mail outbox. The token is
-- signed at delivery; its claims are fixed here (the jti too, so a retry is the same token to the app).
CREATE TABLE logout_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    session_id TEXT,
    jti TEXT NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claim TEXT,
    claimed_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX logout_deliveries_due ON logout_deliveries(state, next_attempt_at);
CREATE INDEX logout_deliveries_app ON logout_deliveries(app_id, created_at);
