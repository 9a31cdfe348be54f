#!/usr/bin/env bash
# HTTP benchmarks on the national dataset (see BENCHMARKS.md for results).
#
#   bash scripts/bench.sh sqlite      # or: postgres
#
# 1. builds the release binary and the bare baseline (examples/bare.rs);
# 2. creates the national dataset once (`renkei seed --scale national`) in
#    target/bench/national.db, or in the PostgreSQL database renkei_bench on
#    the server of scripts/postgres.sh (RENKEI_BENCH_POSTGRES_URL overrides);
#    delete the file / drop the database to seed again;
# 3. starts `renkei serve` on it and the bare handler, and a bearer token;
# 4. runs, one after the other on the same machine:
#    - wrk, maximum throughput: the bare handler (baseline); the bare
#      handler sending a real list page of the median size as a constant
#      (what the bytes alone cost); the countermeasure list API (random
#      ward, stage filter, 50 a page); the ward dashboard page (random ward);
#    - the ward dashboard page at a fixed 1,000 req/s (oha -q, latency
#      corrected; `cargo install oha`; ward ids 100–1889 from oha's
#      --rand-regex-url, where `[.]` stands for a dot), with, alongside, ~100 stage
#      transitions/s (wrk with a Lua script alternating advance / step back
#      on open 具体化 countermeasures, paced by delay());
# 5. writes every tool's output under target/bench/<db>-<time>/ with
#    `uptime` before each run (the machine is shared), and stops both servers.
#
# Settings: BENCH_DURATION (20s), BENCH_CONNECTIONS (64), BENCH_THREADS (1:
# wrk and the server share 2 cores), BENCH_DASHBOARD_RATE (1000),
# BENCH_WRITE_RATE (100), BENCH_PORT (18080), BENCH_BARE_PORT (18089).
set -euo pipefail

db_kind="${1:-sqlite}"
duration="${BENCH_DURATION:-20s}"
connections="${BENCH_CONNECTIONS:-64}"
threads="${BENCH_THREADS:-1}"
dashboard_rate="${BENCH_DASHBOARD_RATE:-1000}"
write_rate="${BENCH_WRITE_RATE:-100}"
port="${BENCH_PORT:-18080}"
bare_port="${BENCH_BARE_PORT:-18089}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bin="$root/target/release/renkei"
bare="$root/target/release/examples/bare"
work="$root/target/bench"
out="$work/$db_kind-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
log() { echo "bench.sh: $*" >&2; }

command -v wrk >/dev/null || { log "installing wrk"; apt-get install -y wrk >/dev/null; }
oha="$(command -v oha || echo "$HOME/.cargo/bin/oha")"
[ -x "$oha" ] || { log "oha is missing: cargo install oha"; exit 1; }

log "building"
cargo build --release --bin renkei --example bare >&2

case "$db_kind" in
sqlite)
    url="sqlite://$work/national.db"
    fresh=$([ -f "$work/national.db" ] && echo no || echo yes)
    ids_sql() { sqlite3 "$work/national.db" "$1"; }
    ;;
postgres)
    admin_url="${RENKEI_BENCH_POSTGRES_URL:-$(bash scripts/postgres.sh)}"
    url="${admin_url%/*}/renkei_bench"
    if psql "$admin_url" -tAc "SELECT 1 FROM pg_database WHERE datname = 'renkei_bench'" | grep -q 1; then
        fresh=no
    else
        psql "$admin_url" -qc "CREATE DATABASE renkei_bench ENCODING 'UTF8' TEMPLATE template0"
        fresh=yes
    fi
    ids_sql() { psql "$url" -tAc "$1"; }
    ;;
*)
    log "usage: scripts/bench.sh sqlite|postgres"
    exit 2
    ;;
esac
export DATABASE_URL="$url" RENKEI_ADDR="127.0.0.1:$port" RENKEI_LOG="${RENKEI_LOG:-warn}"

if [ "$fresh" = yes ]; then
    log "seeding the national dataset"
    "$bin" seed --scale national --seed 1 2>&1 | tee "$out/seed.txt" >&2
fi

# An admin account and a fresh token (the account survives between runs).
RENKEI_NEW_PASSWORD=bench-password-not-secret \
    "$bin" user add --email bench@bench.example.jp --role admin >/dev/null 2>&1 || true
token="$("$bin" token create --email bench@bench.example.jp --name "bench $(date -u +%s)" 2>/dev/null | tail -n 1)"
wards="$(ids_sql "SELECT COUNT(*) FROM wards")"
ids_sql "SELECT id FROM countermeasures WHERE stage = '具体化' AND archived = 0 ORDER BY id LIMIT 20000" >"$out/ids.txt"
export BENCH_TOKEN="$token" BENCH_WARDS="$wards" BENCH_IDS="$out/ids.txt"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
"$bin" serve >"$out/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/api/health" >/dev/null && break
    sleep 0.2
done

# The second baseline's body: a real list page of the median size, drawn
# the way scripts/bench/list.lua draws its requests.
stages=(%E6%9C%AA%E5%85%B7%E4%BD%93%E5%8C%96 %E5%85%B7%E4%BD%93%E5%8C%96 %E8%A9%95%E4%BE%A1%E6%94%B9%E5%96%84)
mkdir -p "$out/pages"
for i in $(seq 1 101); do
    curl -fs -H "Authorization: Bearer $token" -o "$out/pages/$i.json" \
        "http://127.0.0.1:$port/api/wards/$((RANDOM % wards + 1))/countermeasures?stage=${stages[RANDOM % 3]}&limit=50&offset=$((50 * (RANDOM % 2)))"
done
median="$(ls -S "$out/pages" | sed -n 51p)"
cp "$out/pages/$median" "$out/page.json"
rm -r "$out/pages"
"$bare" "127.0.0.1:$bare_port" "$out/page.json" >"$out/bare.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$bare_port/" >/dev/null && break
    sleep 0.2
done

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "database: $db_kind ($wards wards)"
    echo "cpu: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    echo "ram: $(free -g | awk '/Mem:/ {print $2}') GiB"
    echo "bare-page body: $(wc -c <"$out/page.json") bytes (a list page of the median size)"
} | tee "$out/machine.txt" >&2

run() { # name, command…
    local name="$1"
    shift
    log "$name"
    { echo "uptime: $(uptime)"; echo "command: $*"; "$@"; } >"$out/$name.txt" 2>&1
    cat "$out/$name.txt" >&2
}

# `serve` prepares every ward's dashboard overview parts at startup (and
# each new day); let that pass finish so it does not share the runs' cores.
for _ in $(seq 1 300); do
    [ "$(ids_sql "SELECT COUNT(*) FROM ward_overviews")" = "$wards" ] && break
    sleep 1
done

# Warm the caches the same way for every run.
wrk -t1 -c8 -d5s -s scripts/bench/list.lua "http://127.0.0.1:$port" >/dev/null

run bare wrk -t"$threads" -c"$connections" -d"$duration" --latency "http://127.0.0.1:$bare_port/"
run bare-page wrk -t"$threads" -c"$connections" -d"$duration" --latency "http://127.0.0.1:$bare_port/page"
run list wrk -t"$threads" -c"$connections" -d"$duration" --latency -s scripts/bench/list.lua "http://127.0.0.1:$port"
# The dashboard at the fixed rate right after its stored overview parts
# are cleared: every ward's first view computes them, as on the first
# views of a day (a new day does not use yesterday's).
ids_sql "DELETE FROM ward_overviews; DELETE FROM city_overviews" >/dev/null
run dashboard-cold "$oha" --no-tui -z "$duration" -q "$dashboard_rate" -c 50 --latency-correction \
    -H "Authorization: Bearer $token" --rand-regex-url "http://127[.]0[.]0[.]1:$port/wards/([1-9][0-9]{2}|1[0-7][0-9]{2}|18[0-8][0-9])"
run dashboard-max wrk -t"$threads" -c"$connections" -d"$duration" --latency -s scripts/bench/dashboard.lua "http://127.0.0.1:$port"

# The fixed-rate dashboard run with the writes alongside.
BENCH_THREADS=1 BENCH_CONNECTIONS=4 BENCH_RATE="$write_rate" \
    run writes wrk -t1 -c4 -d"$duration" --latency -s scripts/bench/transition.lua "http://127.0.0.1:$port" &
writer=$!
run dashboard "$oha" --no-tui -z "$duration" -q "$dashboard_rate" -c 50 --latency-correction \
    -H "Authorization: Bearer $token" --rand-regex-url "http://127[.]0[.]0[.]1:$port/wards/([1-9][0-9]{2}|1[0-7][0-9]{2}|18[0-8][0-9])"
wait "$writer"

log "results in $out"
