#!/bin/bash
# Run by the official postgres image on first start (mounted into /docker-entrypoint-initdb.d/),
# as the superuser. For every entry `<name>` (or `<name>:<role>`) of BAZAAR_DATABASES it creates a
# login role, `<name>_service` unless named, with the password in `<NAME>_DB_PASSWORD`, and a
# database `<name>` owned by that role, which only that role may connect to: the layout `npm start`
# provisions (packages/database/src/admin.ts).
#
# Idempotent, so after adding a service to an existing volume it can be re-run:
#   docker compose exec postgres bash /docker-entrypoint-initdb.d/10-bazaar-databases.sh
set -euo pipefail

: "${BAZAAR_DATABASES:?BAZAAR_DATABASES lists the databases to create, e.g. \"users events:events_broker\"}"

psql_admin() {
  psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres "$@"
}

for entry in $BAZAAR_DATABASES; do
  name="${entry%%:*}"
  role="${name}_service"
  if [[ "$entry" == *:* ]]; then role="${entry#*:}"; fi
  if [[ ! "$name" =~ ^[a-z][a-z0-9_]*$ || ! "$role" =~ ^[a-z][a-z0-9_]*$ ]]; then
    echo "init: invalid entry '$entry' (expected <database> or <database>:<role>)" >&2
    exit 1
  fi
  password_variable="${name^^}_DB_PASSWORD"
  password="${!password_variable:-}"
  if [[ -z "$password" ]]; then
    echo "init: $password_variable is not set" >&2
    exit 1
  fi

  psql_admin -v db="$name" -v role="$role" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role')
\gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db')
\gexec
ALTER DATABASE :"db" OWNER TO :"role";
REVOKE CONNECT, TEMPORARY ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"role";
SQL
  echo "init: database $name, role $role"
done

# PUBLIC may connect to every new database by default; fence the service roles out of the shared ones.
psql_admin <<'SQL'
REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;
SQL
