-- The admin user search matches prefixes of the address, the display name and the UPN, in lower
-- case; these indexes let each be a range scan within the tenant instead of a scan of its users.
CREATE INDEX users_tenant_name ON users(tenant_id, lower(display_name));
CREATE INDEX users_tenant_upn ON users(tenant_id, lower(user_principal_name));
