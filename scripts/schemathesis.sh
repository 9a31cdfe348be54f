#!/usr/bin/env bash
# Checks the API against its own spec: schemathesis (a pinned version, in a
# virtualenv) generates requests from /openapi.json and checks every answer
# against it (see schemathesis.toml for the checks and the bounds).
#
# Usage: bash scripts/schemathesis.sh sqlite
#        bash scripts/schemathesis.sh postgres URL   (a role that may CREATE DATABASE)
#
# It boots the real binary (target/debug/renkei, built here when missing or
# stale) with `renkei serve --demo` on a new database — a SQLite file, or a
# PostgreSQL database `renkei_schemathesis_<pid>` created and dropped here —
# listening on a free loopback port, adds an `admin` account (it reaches
# every operation, POST /api/municipalities included) with an API token, and
# runs schemathesis with that token. Exits 0 when it found nothing.
#
# The virtualenv is target/schemathesis-venv, installed from PyPI with the
# exact versions of scripts/schemathesis-requirements.txt (again when that
# file changes). When it cannot be installed (no network, no python3 venv)
# this exits 3, and scripts/test.sh skips the run with a notice outside CI.
# Reports (JUnit; a failure is printed with the curl command that
# reproduces it) and the server's log land in target/schemathesis/DB/.
set -euo pipefail
cd "$(dirname "$0")/.."

db="${1:-}"
case "$db" in
    sqlite) ;;
    postgres) server="${2:?usage: $0 postgres URL}" ;;
    *) echo "usage: $0 sqlite | postgres URL" >&2; exit 2 ;;
esac

log() { echo "schemathesis.sh: $*" >&2; }

# The virtualenv, from the pinned requirements (all of them, dependencies
# included, so two machines run the same checks).
venv=target/schemathesis-venv
requirements=scripts/schemathesis-requirements.txt
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
    log "installing schemathesis into $venv"
    rm -rf "$venv"
    if ! python3 -m venv "$venv" >&2 ||
        ! "$venv/bin/pip" install --quiet --disable-pip-version-check \
            --no-input --require-virtualenv -r "$requirements" >&2; then
        rm -rf "$venv"
        log "could not install schemathesis (python3 -m venv, or PyPI unreachable)"
        exit 3
    fi
    cp "$requirements" "$venv/requirements.txt"
fi

cargo build --locked --quiet --bin renkei
bin="$PWD/target/debug/renkei"

out="$PWD/target/schemathesis/$db"
rm -rf "$out"
mkdir -p "$out"
work="$(mktemp -d)"
pid=""
pgdb=""
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    if [ -n "$pgdb" ]; then
        psql "$server" -q -c "DROP DATABASE IF EXISTS \"$pgdb\" WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ "$db" = sqlite ]; then
    export DATABASE_URL="sqlite://$work/renkei.db"
else
    command -v psql >/dev/null || { log "psql is needed to create the database"; exit 1; }
    pgdb="renkei_schemathesis_$$"
    psql "$server" -v ON_ERROR_STOP=1 -q \
        -c "CREATE DATABASE \"$pgdb\" ENCODING 'UTF8' TEMPLATE template0" >/dev/null
    # The server URL with its database replaced by the new one.
    export DATABASE_URL="$(python3 - "$server" "$pgdb" <<'PY'
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(u._replace(path="/" + sys.argv[2])))
PY
)"
fi

# Port 0: the server logs the address it bound (JSON lines on stderr), so no race for
# a port. Nothing here sends mail (the SMTP URL points nowhere) and no job
# file is read.
mkdir -p "$work/jobs"
export RENKEI_ADDR=127.0.0.1:0 RENKEI_JOBS_DIR="$work/jobs" RENKEI_SMTP_URL=smtp://127.0.0.1:1 \
    RENKEI_LOG=info,sqlx=warn RENKEI_LOG_FORMAT=json
"$bin" serve --demo >"$out/server.log" 2>&1 &
pid=$!
addr=""
for _ in $(seq 1 300); do
    addr="$(python3 - "$out/server.log" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        fields = json.loads(line).get("fields", {})
    except ValueError:
        continue
    if str(fields.get("message", "")).startswith("serving") and fields.get("addr"):
        print(fields["addr"])
        break
PY
)"
    [ -n "$addr" ] && break
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$out/server.log" >&2; log "renkei serve stopped"; exit 1; }
    sleep 0.2
done
[ -n "$addr" ] || { log "renkei serve did not start"; exit 1; }
base="http://$addr"

email=schemathesis@admin.example.jp
RENKEI_NEW_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_hex(16))')" \
    "$bin" user add --email "$email" --role admin --name schemathesis >/dev/null 2>&1
token="$("$bin" token create --email "$email" --name schemathesis 2>/dev/null | tail -n 1)"
case "$token" in
    rk_*) ;;
    *) log "no API token was created"; exit 1 ;;
esac

log "running against $base ($db)"
start=$SECONDS
status=0
# The run is bounded by schemathesis.toml (a few minutes); the timeout only
# keeps a hung run from holding CI.
RENKEI_SCHEMATHESIS_TOKEN="$token" timeout 900 "$venv/bin/schemathesis" \
    --config-file schemathesis.toml run "$base/openapi.json" --url "$base/api" \
    --report junit --report-dir "$out" --no-color || status=$?
log "$db run took $((SECONDS - start)) s (reports in $out)"
if grep -q '"level":"ERROR"' "$out/server.log"; then
    log "the server logged errors ($out/server.log)"
    grep '"level":"ERROR"' "$out/server.log" | head -n 5 >&2
    status=1
fi
exit "$status"
