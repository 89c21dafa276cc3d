-- Failures and budgets per subject (an account at an address, a client, an address …), kept in the
-- database so that every process behind one database counts the same attempts. `subject` is a hash:
-- the table names no address or account. `version` makes each update a compare-and-set.
CREATE TABLE throttles (
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    count BIGINT NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL,
    level BIGINT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (scope, subject)
);
CREATE INDEX throttles_last_at ON throttles(last_at);

-- Sessions end after a time without use as well as at their absolute end.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = created_at;
