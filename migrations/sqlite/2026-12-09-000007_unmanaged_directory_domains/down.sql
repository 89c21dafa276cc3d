DROP INDEX tenants_unmanaged_domain;
