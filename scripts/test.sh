#!/usr/bin/env bash
# The one test command (README): runs the whole suite on a fresh machine.
# Today the tests need nothing but the embedded SQLite (each test creates its
# own database file); services that later issues add (PostgreSQL, an SMTP
# sink) are installed and started here, before `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --locked --all-targets "$@"
