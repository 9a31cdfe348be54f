#!/usr/bin/env bash
# Makes a PostgreSQL server available on loopback for the test suite (and
# for trying renkei on PostgreSQL), then prints its URL on stdout.
#
# Idempotent, for root on a fresh Debian machine (CI) or a developer's:
# installs Debian's `postgresql` package when missing, creates and starts a
# cluster listening on 127.0.0.1 only, and creates a role that may create
# databases (each test creates its own) with a known password. Running it
# again changes nothing and prints the same URL.
#
# Settings (environment): RENKEI_PG_PORT (5432), RENKEI_PG_USER (renkei),
# RENKEI_PG_PASSWORD (renkei), RENKEI_PG_DATABASE (renkei).
# Progress goes to stderr so `URL=$(bash scripts/postgres.sh)` works.
set -euo pipefail

port="${RENKEI_PG_PORT:-5432}"
user="${RENKEI_PG_USER:-renkei}"
password="${RENKEI_PG_PASSWORD:-renkei}"
database="${RENKEI_PG_DATABASE:-renkei}"

log() { echo "postgres.sh: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
    log "must run as root (it installs and starts PostgreSQL)"
    exit 1
fi

# Install: Debian 12 gives PostgreSQL 15; any supported version works.
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    log "installing postgresql from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi
version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"

# The package creates the cluster `main` (and starts it only where systemd
# runs); containers may have neither, so create it when it is missing.
if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$version/main"; then
    log "creating the cluster $version/main"
    pg_createcluster "$version" main --port "$port" >&2
fi
# Loopback only, on the chosen port; more connections than the default 100
# because the tests run in parallel, each with its own pool. The settings
# that make tests fast (no fsync) are for this throwaway cluster only: a
# production server is set up by its operator, not by this script.
conf_dir="/etc/postgresql/$version/main"
conf="$conf_dir/conf.d/renkei.conf"
wanted="listen_addresses = '127.0.0.1'
port = $port
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off"
changed=no
if [ "$(cat "$conf" 2>/dev/null || true)" != "$wanted" ]; then
    mkdir -p "$conf_dir/conf.d"
    printf '%s\n' "$wanted" >"$conf"
    changed=yes
fi

status="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}')"
if [ "$status" != online ]; then
    log "starting the cluster $version/main"
    pg_ctlcluster "$version" main start >&2
elif [ "$changed" = yes ]; then
    # Port, listen address and max_connections take effect on a restart
    # only (the package may have started the cluster with its defaults).
    log "restarting the cluster $version/main with the new settings"
    pg_ctlcluster "$version" main restart >&2
fi

# Wait until it accepts connections (start returns once the postmaster runs).
for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p "$port" && break
    sleep 0.5
done
pg_isready -h 127.0.0.1 -p "$port" >&2

# The superuser `postgres` over the Unix socket (peer authentication).
psql_admin() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qtA; }

# The role may create databases: each test makes its own and drops it.
exists="$(echo "SELECT 1 FROM pg_roles WHERE rolname = '$user'" | psql_admin)"
if [ "$exists" != 1 ]; then
    log "creating role $user"
    echo "CREATE ROLE \"$user\" LOGIN CREATEDB PASSWORD '$password'" | psql_admin
else
    echo "ALTER ROLE \"$user\" LOGIN CREATEDB PASSWORD '$password'" | psql_admin
fi
exists="$(echo "SELECT 1 FROM pg_database WHERE datname = '$database'" | psql_admin)"
if [ "$exists" != 1 ]; then
    log "creating database $database"
    echo "CREATE DATABASE \"$database\" OWNER \"$user\" ENCODING 'UTF8' TEMPLATE template0" | psql_admin
fi

echo "postgres://$user:$password@127.0.0.1:$port/$database"
