#!/usr/bin/env bash
# Issue 19's comparisons (BENCHMARKS.md, "List pages"): on the national
# dataset that scripts/bench.sh seeds (run it once first), one ward with
# about 430 countermeasures, `wrk -t1 -c16 -d20s` each:
#   topics      GET /api/topics with a bearer token (one small row, the yardstick)
#   list-json   the ward's countermeasure list, 50 a page, a random page
#   list-html   the same rows as the HTML page (?page=N)
#   dashboard   GET /wards/{random} (a dashboard run, for the memory figure)
# then the server's peak resident memory (VmHWM) after the dashboard and
# list runs. Usage: bash scripts/bench-lists.sh sqlite|postgres
# (BENCH_NO_BUILD=1: run the release binary as it is, e.g. a build under test).
set -euo pipefail
db_kind="${1:-sqlite}"
duration="${BENCH_DURATION:-20s}"
port="${BENCH_PORT:-18081}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bin="$root/target/release/renkei"
work="$root/target/bench"
out="$work/lists-$db_kind-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
log() { echo "bench-lists.sh: $*" >&2; }
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --bin renkei >&2
case "$db_kind" in
sqlite)
    url="sqlite://$work/national.db"
    [ -f "$work/national.db" ] || { log "run scripts/bench.sh sqlite first (it seeds)"; exit 1; }
    ids_sql() { sqlite3 "$work/national.db" "$1"; }
    ;;
postgres)
    admin_url="${RENKEI_BENCH_POSTGRES_URL:-$(bash scripts/postgres.sh)}"
    url="${admin_url%/*}/renkei_bench"
    ids_sql() { psql "$url" -tAc "$1"; }
    ;;
*) log "usage: scripts/bench-lists.sh sqlite|postgres"; exit 2 ;;
esac
export DATABASE_URL="$url" RENKEI_ADDR="127.0.0.1:$port" RENKEI_LOG="${RENKEI_LOG:-warn}"
RENKEI_NEW_PASSWORD=bench-password-not-secret \
    "$bin" user add --email bench@bench.example.jp --role admin >/dev/null 2>&1 || true
token="$("$bin" token create --email bench@bench.example.jp --name "bench $(date -u +%s)" 2>/dev/null | tail -n 1)"
# The ward whose countermeasure count is nearest 430.
read -r ward total <<<"$(ids_sql "SELECT ward_id, COUNT(*) FROM countermeasures GROUP BY ward_id ORDER BY ABS(COUNT(*) - 430), ward_id LIMIT 1" | tr '|' ' ')"
open_rows="$(ids_sql "SELECT COUNT(*) FROM countermeasures WHERE ward_id = $ward AND archived = 0")"
pages=$(( (open_rows + 49) / 50 ))
wards="$(ids_sql "SELECT COUNT(*) FROM wards")"
export BENCH_TOKEN="$token" BENCH_WARD="$ward" BENCH_PAGES="$pages" BENCH_WARDS="$wards"
"$bin" serve >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/api/health" >/dev/null && break
    sleep 0.2
done
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "database: $db_kind; ward $ward: $total countermeasures, $open_rows open ($pages pages)"
    echo "cpu: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
} | tee "$out/machine.txt" >&2
run() { # name, command…
    local name="$1"
    shift
    log "$name"
    { echo "uptime: $(uptime)"; echo "command: $*"; "$@"; } >"$out/$name.txt" 2>&1
    grep -E "Requests/sec|99%|Non-2xx" "$out/$name.txt" >&2 || cat "$out/$name.txt" >&2
}
# Warm-up (connections, statement caches).
BENCH_KIND=json wrk -t1 -c4 -d3s -s scripts/bench/ward_list.lua "http://127.0.0.1:$port" >/dev/null
BENCH_KIND=html wrk -t1 -c4 -d3s -s scripts/bench/ward_list.lua "http://127.0.0.1:$port" >/dev/null
run topics wrk -t1 -c16 -d"$duration" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/topics"
run list-json env BENCH_KIND=json wrk -t1 -c16 -d"$duration" --latency -s scripts/bench/ward_list.lua "http://127.0.0.1:$port"
run list-html env BENCH_KIND=html wrk -t1 -c16 -d"$duration" --latency -s scripts/bench/ward_list.lua "http://127.0.0.1:$port"
run dashboard wrk -t1 -c16 -d"$duration" --latency -s scripts/bench/dashboard.lua "http://127.0.0.1:$port"
run list-html-after env BENCH_KIND=html wrk -t1 -c16 -d"$duration" --latency -s scripts/bench/ward_list.lua "http://127.0.0.1:$port"
grep -E "VmHWM|VmRSS" "/proc/$server/status" | tee "$out/memory.txt" >&2
log "results in $out"
