-- At most one unmanaged directory per email domain; redemption finds it by its domain, not its slug.
CREATE UNIQUE INDEX tenants_unmanaged_domain ON tenants(primary_domain) WHERE unmanaged = 1;
