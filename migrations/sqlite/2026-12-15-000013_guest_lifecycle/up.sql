-- Guest lifecycle: an end date per guest, the state the lifecycle jobs leave, sponsors, review rounds
-- with their single-use links, and the leases that keep the jobs to one process at a time.

-- One row per guest with an end date or a lifecycle state; a guest without either has none.
CREATE TABLE guest_lifecycle (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- After this time the guest is disabled.
    access_expires_at BIGINT,
    -- When and why a lifecycle job (or a sponsor's "Remove") disabled the guest; the grace period
    -- before deletion counts from here. Cleared when an admin enables the guest again.
    disabled_at BIGINT,
    disabled_reason TEXT,
    -- When an admin enabled the guest again or a sponsor kept them: inactivity counts from here too.
    vouched_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX guest_lifecycle_expiry ON guest_lifecycle(access_expires_at);
CREATE INDEX guest_lifecycle_disabled ON guest_lifecycle(disabled_at);

-- Who answers for a guest: the inviter by default, changeable, several allowed.
CREATE TABLE guest_sponsors (
    guest_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sponsor_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (guest_id, sponsor_id)
);
CREATE INDEX guest_sponsors_sponsor ON guest_sponsors(sponsor_id);

-- A periodic review of a tenant's guests. The number is unique per tenant, so two processes that
-- start the same round at once cannot both succeed.
CREATE TABLE review_rounds (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    deadline BIGINT NOT NULL,
    closed_at BIGINT,
    UNIQUE (tenant_id, number)
);

-- One single-use link per guest and sponsor in a round, stored as the hash of its token.
CREATE TABLE guest_reviews (
    token_hash TEXT PRIMARY KEY NOT NULL,
    round_id TEXT NOT NULL REFERENCES review_rounds(id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL,
    guest_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sponsor_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- keep, remove, or answered (another sponsor decided first).
    decision TEXT,
    decided_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX guest_reviews_round ON guest_reviews(round_id, guest_id);
CREATE INDEX guest_reviews_guest ON guest_reviews(guest_id);
CREATE INDEX guest_reviews_sponsor ON guest_reviews(sponsor_id);

-- A background job runs in the one process holding its lease.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    until BIGINT NOT NULL
);
-- The lifecycle job's lease exists from the start, so taking it is one conditional update.
INSERT INTO job_leases (name, holder, until) VALUES ('lifecycle', '', 0);

-- Webhook secret rotation with a grace period: the previous secret also signs until this time, so
-- receivers can move to the new one without dropping messages (Standard Webhooks allows several
-- signatures in one header).
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_sealed TEXT;
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_until BIGINT;
