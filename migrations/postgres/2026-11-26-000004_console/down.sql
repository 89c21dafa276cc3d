DROP INDEX audit_events_tenant_name;
DROP INDEX users_tenant_mail;
DROP TABLE csv_uploads;
DROP TABLE tenant_logos;
