#!/usr/bin/env bash
# The one test command (README): runs the whole suite on a fresh machine.
# The tests need nothing installed: each creates its own SQLite file, and the
# SMTP server the reminder tests talk to runs inside the test process
# (mailin-embedded on a loopback port). Services that later issues add
# (PostgreSQL) are installed and started here, before `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --locked --all-targets "$@"
