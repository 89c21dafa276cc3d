DROP TABLE terms_acceptances;
DROP TABLE terms_of_use;
