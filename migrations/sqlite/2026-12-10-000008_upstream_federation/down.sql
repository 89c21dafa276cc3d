ALTER TABLE sessions DROP COLUMN upstream_amr;
ALTER TABLE sessions DROP COLUMN acr;
DROP TABLE federation_states;
DROP TABLE upstream_directories;
DROP TABLE upstream_identities;
DROP TABLE identity_providers;
