-- The durable mail outbox: a message is committed here in the transaction of the change that sends
-- it, and a worker delivers it with retries. `message` is the complete RFC 5322 message, built once,
-- so every attempt sends the same bytes and the same Message-ID.
CREATE TABLE outbox_messages (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    message TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claim TEXT,
    claimed_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox_messages(state, next_attempt_at);
