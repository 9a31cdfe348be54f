#!/usr/bin/env bash
# The one test command (README): runs the whole suite on a fresh machine,
# first on SQLite, then again on PostgreSQL.
#
# SQLite needs nothing installed: each test creates its own file, and the
# SMTP server the reminder tests talk to runs inside the test process
# (mailin-embedded on a loopback port). For PostgreSQL each test creates its
# own database on one server (tests/api/support.rs, `TestDatabase`):
# - RENKEI_TEST_POSTGRES_URL set: that server (a role that may CREATE DATABASE);
# - otherwise, as root: scripts/postgres.sh installs Debian's postgresql if
#   needed and starts it on 127.0.0.1 (this is what CI does);
# - otherwise the PostgreSQL run is skipped with a notice, except on CI
#   (CI set), where it is required.
# The browser tests (tests/browser: headless Chromium, axe-core) run in the
# SQLite run only; scripts/browser.sh installs what they need (as root).
# After each database's tests, schemathesis checks the API against its own
# spec on that database (scripts/schemathesis.sh, schemathesis.toml): it
# needs python3 and PyPI for its virtualenv; when that cannot be installed
# the run is skipped with a notice, except on CI, where it is required.
# RENKEI_TEST_DATABASE=sqlite or =postgres runs on that one database only.
# Arguments go to both `cargo test` runs (e.g. a test name filter); a run
# with arguments skips schemathesis.
set -euo pipefail
cd "$(dirname "$0")/.."

only="${RENKEI_TEST_DATABASE:-}"
case "$only" in
    "" | sqlite | postgres) ;;
    *) echo "RENKEI_TEST_DATABASE=$only: use sqlite or postgres" >&2; exit 2 ;;
esac

# schemathesis on one database (sqlite, or postgres URL); see above.
filtered=$#
schemathesis() {
    if [ "$filtered" -gt 0 ]; then
        echo "test.sh: schemathesis skipped (a filtered run)" >&2
        return 0
    fi
    local status=0
    bash scripts/schemathesis.sh "$@" || status=$?
    if [ "$status" = 3 ]; then
        if [ -n "${CI:-}" ]; then
            echo "test.sh: schemathesis is required here: python3 -m venv and PyPI must work" >&2
            return 1
        fi
        echo "test.sh: schemathesis skipped (its virtualenv could not be installed)" >&2
        return 0
    fi
    return "$status"
}

# The browser tests (tests/browser, in the SQLite run only) need Chromium,
# chromedriver and axe-core: scripts/browser.sh installs them as root. When
# it cannot, the tests skip with a notice, except on CI, where it fails.
if [ "$only" != postgres ] && ! bash scripts/browser.sh; then
    if [ -n "${CI:-}" ]; then
        echo "test.sh: the browser tests are required here: run as root (scripts/browser.sh)" >&2
        exit 1
    fi
    echo "test.sh: browser tests will be skipped (Chromium or axe-core missing, not root)" >&2
fi

if [ "$only" != postgres ]; then
    start=$SECONDS
    RENKEI_TEST_DATABASE=sqlite cargo test --locked --all-targets "$@"
    schemathesis sqlite
    echo "test.sh: SQLite run took $((SECONDS - start)) s" >&2
fi
[ "$only" = sqlite ] && exit 0

url="${RENKEI_TEST_POSTGRES_URL:-}"
if [ -z "$url" ]; then
    if [ "$(id -u)" = 0 ]; then
        url="$(bash scripts/postgres.sh)"
    elif [ -n "${CI:-}" ] || [ "$only" = postgres ]; then
        echo "test.sh: PostgreSQL is required here: run as root (scripts/postgres.sh) or set RENKEI_TEST_POSTGRES_URL" >&2
        exit 1
    else
        echo "test.sh: PostgreSQL run skipped (not root and RENKEI_TEST_POSTGRES_URL unset)" >&2
        exit 0
    fi
fi

# The tests' databases are named renkei_test_<run>_<random>; each test drops
# its own, and this drops what a crashed or interrupted run left behind,
# without touching other runs on the same server.
run="$(date +%s)_$$"
cleanup() {
    command -v psql >/dev/null || return 0
    psql "$url" -qtA -c "SELECT datname FROM pg_database WHERE datname LIKE 'renkei\_test\_${run}\_%'" 2>/dev/null |
        while read -r name; do
            [ -n "$name" ] && psql "$url" -q -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null 2>&1 || true
        done
}
trap cleanup EXIT

# Only the integration tests touch the database; the unit tests ran above.
start=$SECONDS
RENKEI_TEST_DATABASE=postgres RENKEI_TEST_POSTGRES_URL="$url" RENKEI_TEST_RUN="$run" \
    cargo test --locked --test api "$@"
schemathesis postgres "$url"
echo "test.sh: PostgreSQL run took $((SECONDS - start)) s" >&2
