-- One database and one login role per service, for the compose stack.
--
-- Run once by the postgres image's entrypoint (/docker-entrypoint-initdb.d) on
-- the first start with an empty data volume, as the superuser. The passwords come
-- from the container's environment (psql \getenv, psql 15+), never from this file;
-- compose.yaml passes MEMBER_DB_PASSWORD, PROPOSAL_DB_PASSWORD,
-- CONSULTATION_DB_PASSWORD and NOTIFY_DB_PASSWORD from deploy/.env.
--
-- Each role owns its database (and through pg_database_owner its public schema),
-- so its migrations can create tables and trusted extensions such as pg_trgm.
-- No role can connect to another service's database. Plain PostgreSQL SQL only,
-- so the same statements work on PostgreSQL-compatible databases.

\set ON_ERROR_STOP on

\getenv member_password MEMBER_DB_PASSWORD
\getenv proposal_password PROPOSAL_DB_PASSWORD
\getenv consultation_password CONSULTATION_DB_PASSWORD
\getenv notify_password NOTIFY_DB_PASSWORD

-- An unset variable stays unexpanded and the statement fails: no role is ever
-- created without a password.
CREATE ROLE member LOGIN PASSWORD :'member_password';
CREATE ROLE proposal LOGIN PASSWORD :'proposal_password';
CREATE ROLE consultation LOGIN PASSWORD :'consultation_password';
CREATE ROLE notify LOGIN PASSWORD :'notify_password';

CREATE DATABASE member OWNER member ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE proposal OWNER proposal ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE consultation OWNER consultation ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE notify OWNER notify ENCODING 'UTF8' TEMPLATE template0;

REVOKE ALL ON DATABASE member FROM PUBLIC;
REVOKE ALL ON DATABASE proposal FROM PUBLIC;
REVOKE ALL ON DATABASE consultation FROM PUBLIC;
REVOKE ALL ON DATABASE notify FROM PUBLIC;
