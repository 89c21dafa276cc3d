ALTER TABLE webhook_endpoints DROP COLUMN previous_secret_until;
ALTER TABLE webhook_endpoints DROP COLUMN previous_secret_sealed;
DROP TABLE job_leases;
DROP TABLE guest_reviews;
DROP TABLE review_rounds;
DROP TABLE guest_sponsors;
DROP TABLE guest_lifecycle;
