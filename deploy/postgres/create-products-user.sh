#!/usr/bin/env bash
# The products service's own PostgreSQL login. The postgres image runs this on the first start of an
# empty volume (docker-entrypoint-initdb.d); on an existing one, run it once by hand:
#   docker compose exec postgres bash /docker-entrypoint-initdb.d/create-products-user.sh
# The migrate job signs in as POSTGRES_USER and owns the schema. products may only read and write the
# rows of its tables, so a flaw in it can neither change the schema nor do what a superuser can
# (read the server's files, run programs with COPY … TO PROGRAM). Idempotent.
# Elsewhere (a managed server, Kubernetes), run it as any role that may grant for the schema's owner
# (a superuser, or the owner itself), with SCHEMA_OWNER naming the role of the migration's login
# (postgres.migrateUrl): the tables a later migration creates are the owner's, and only its default
# privileges reach them.
#   POSTGRES_USER=postgres POSTGRES_DB=shop SCHEMA_OWNER=shop POSTGRES_PRODUCTS_PASSWORD=… bash create-products-user.sh
set -euo pipefail
export SCHEMA_OWNER=${SCHEMA_OWNER:-$POSTGRES_USER}
psql -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\getenv products_password POSTGRES_PRODUCTS_PASSWORD
\getenv schema_owner SCHEMA_OWNER
SELECT 'CREATE ROLE products' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'products') \gexec
ALTER ROLE products WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'products_password';
GRANT USAGE ON SCHEMA public TO products;
-- The tables the migrate job has created, and those it will create.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO products;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO products;
ALTER DEFAULT PRIVILEGES FOR ROLE :"schema_owner" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO products;
ALTER DEFAULT PRIVILEGES FOR ROLE :"schema_owner" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO products;
SQL
echo "postgres user products: rows of the shop database's tables only"
