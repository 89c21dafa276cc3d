-- Roles as rows, one per (user, role): checks and counts match a role exactly instead of searching a
-- space-separated string.
CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role ON user_roles(role, user_id);

INSERT INTO user_roles (user_id, role)
SELECT id, 'Admin' FROM users WHERE (' ' || roles || ' ') LIKE '% Admin %';
INSERT INTO user_roles (user_id, role)
SELECT id, 'GuestInviter' FROM users WHERE (' ' || roles || ' ') LIKE '% GuestInviter %';
INSERT INTO user_roles (user_id, role)
SELECT id, 'Operator' FROM users WHERE (' ' || roles || ' ') LIKE '% Operator %';

ALTER TABLE users DROP COLUMN roles;

-- Guest inviters and invite-scoped apps list only the invitations they created.
CREATE INDEX invitations_tenant_inviter ON invitations(tenant_id, invited_by, created_at);
