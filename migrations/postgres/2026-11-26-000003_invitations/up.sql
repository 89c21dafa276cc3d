-- Invitations of guests (spec §3). The guest user object exists from the moment of invitation; the
-- invitation row carries what the redemption needs. The ticket is stored only as its SHA-256 hash.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_lower TEXT NOT NULL,
    display_name TEXT NOT NULL,
    invited_by TEXT NOT NULL,
    redirect_url TEXT,
    language TEXT NOT NULL,
    cc TEXT,
    custom_text TEXT,
    contact_url TEXT,
    invite_app_id TEXT,
    ticket_hash TEXT NOT NULL UNIQUE,
    ticket_expires_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    batch_id TEXT,
    outbox_id TEXT,
    created_at BIGINT NOT NULL,
    redeemed_at BIGINT,
    voided_at BIGINT
);
CREATE INDEX invitations_tenant ON invitations(tenant_id, created_at);
CREATE INDEX invitations_user ON invitations(user_id);

-- Addresses whose owners asked for no more invitations ("block future invitations").
CREATE TABLE invitation_blocks (
    email_lower TEXT PRIMARY KEY NOT NULL,
    created_at BIGINT NOT NULL
);

-- CSV uploads, with their counts, for the console's results page and the audit trail.
CREATE TABLE invitation_batches (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    uploaded_by TEXT NOT NULL,
    file_name TEXT NOT NULL,
    rows_total BIGINT NOT NULL,
    rows_created BIGINT NOT NULL,
    rows_existing BIGINT NOT NULL,
    rows_failed BIGINT NOT NULL,
    results TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
