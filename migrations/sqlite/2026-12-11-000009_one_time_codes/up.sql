-- A one-time code emailed to prove an address: a guest without a password redeems an invitation or
-- signs in with it. `id` is the hash of the challenge handle the person's page holds, and `code_hash`
-- the hash of handle and code, so the table holds neither. A code works once, for ten minutes, and
-- five wrong tries use it up. `purpose` is `redeem:{invitation id}` or `sign-in`.
CREATE TABLE one_time_codes (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email_lower TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    purpose TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX one_time_codes_expires ON one_time_codes(expires_at);
CREATE INDEX one_time_codes_address ON one_time_codes(tenant_id, email_lower);

-- Sign-ups made before addresses were verified keep working: they were admitted without a link, and
-- locking them out (or letting anyone take them over) now would punish their owners.
UPDATE users SET email_verified = TRUE WHERE creation_type = 'SelfServiceSignUp';
