DROP INDEX invitations_tenant_inviter;
ALTER TABLE users ADD COLUMN roles TEXT NOT NULL DEFAULT '';
UPDATE users SET roles = COALESCE(
    (SELECT group_concat(role, ' ') FROM user_roles r WHERE r.user_id = users.id), '');
DROP TABLE user_roles;
