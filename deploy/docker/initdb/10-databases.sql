-- CareLedger databases for the compose stack (deploy/docker/compose.yaml).
--
-- The postgres image runs this once, on the first start with an empty data volume, as
-- POSTGRES_USER (careledger), so that role owns every database. Same names as the local
-- stack (deploy/lib/pg.sh): one database per service, and the key store on its own.
CREATE DATABASE careledger_intake;
CREATE DATABASE careledger_assessment;
CREATE DATABASE careledger_referral;
CREATE DATABASE careledger_archive;
CREATE DATABASE careledger_notify;
CREATE DATABASE careledger_keys;
