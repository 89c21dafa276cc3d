-- A tenant's terms of use. Each publication is a new version holding a text or a link per language;
-- guests accept the newest version at redemption and again after a new one is published.
CREATE TABLE terms_of_use (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    language TEXT NOT NULL,
    body TEXT,
    url TEXT,
    published_at BIGINT NOT NULL,
    published_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, version, language)
);

-- Who accepted which version, and when: the guest object in the tenant.
CREATE TABLE terms_acceptances (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    accepted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, version)
);
CREATE INDEX terms_acceptances_tenant ON terms_acceptances(tenant_id, accepted_at);
