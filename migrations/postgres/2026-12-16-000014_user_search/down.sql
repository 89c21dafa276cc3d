DROP INDEX users_tenant_upn;
DROP INDEX users_tenant_name;
