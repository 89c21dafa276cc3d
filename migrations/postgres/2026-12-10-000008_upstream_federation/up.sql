-- Upstream OpenID Connect providers a tenant's guests (and, where allowed, members) sign in through.
-- `tenant_id` NULL: the operator offers the provider to every tenant. The client secret is sealed
-- (AEAD, key in the keys directory), never stored in the clear.
CREATE TABLE identity_providers (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT REFERENCES tenants(id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    preset TEXT NOT NULL,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret_sealed TEXT NOT NULL,
    scopes TEXT NOT NULL,
    domains TEXT NOT NULL,
    email_claim TEXT NOT NULL,
    name_claim TEXT NOT NULL,
    trust_email BOOLEAN NOT NULL,
    members BOOLEAN NOT NULL,
    create_members BOOLEAN NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX identity_providers_tenant ON identity_providers(tenant_id);

-- A person known by an upstream issuer and subject: the user object that identity signs in as (a
-- member of the tenant whose corporate provider it is, or of the directory kept for that issuer).
CREATE TABLE upstream_identities (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_sign_in_at BIGINT NOT NULL,
    UNIQUE (issuer, subject)
);

-- The directory that holds the people of one upstream issuer who are nobody's members here.
CREATE TABLE upstream_directories (
    issuer TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL UNIQUE REFERENCES tenants(id) ON DELETE CASCADE
);

-- A round trip to an upstream in progress: single-use, short-lived, bound to the browser that started
-- it (`browser` is the hash of its cookie). `id` is the hash of the `state` parameter; the PKCE
-- verifier is sealed.
CREATE TABLE federation_states (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    browser TEXT NOT NULL,
    nonce TEXT NOT NULL,
    verifier_sealed TEXT NOT NULL,
    purpose TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX federation_states_expires ON federation_states(expires_at);

-- How the upstream said the person signed in (for trusting the home MFA later): its `acr` and its
-- `amr` values, space-separated. The session's own `amr` says `fed`.
ALTER TABLE sessions ADD COLUMN acr TEXT;
ALTER TABLE sessions ADD COLUMN upstream_amr TEXT;
