-- Admin console and API support.

-- A tenant's uploaded logo, served at /t/{slug}/logo (kept in the database so every process serves it).
CREATE TABLE tenant_logos (
    tenant_id TEXT PRIMARY KEY NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A CSV file between the console's validate step and its create step (deleted when used or stale).
CREATE TABLE csv_uploads (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    uploaded_by TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- The console's user list: ordered by address within a tenant, keyset-paged.
CREATE INDEX users_tenant_mail ON users(tenant_id, mail_lower, id);
CREATE INDEX audit_events_tenant_name ON audit_events(tenant_id, event_name, at);
