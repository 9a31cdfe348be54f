-- wrk: stage transitions that can repeat. BENCH_IDS names a file of open
-- 具体化 countermeasure ids, one per line. Thread t of n takes every n-th id;
-- it walks its ids advancing each to 評価改善, then walks them again stepping
-- each back to 具体化 (a re-plan, with a reason), and so on: two steps on the
-- same countermeasure are a whole round apart, so they never race.
-- BENCH_RATE (writes/s for the whole run) paces the connections with
-- wrk's delay(): each connection waits connections*threads/rate between
-- requests (closed loop: the rate is reached only while latency is small).
local token = os.getenv("BENCH_TOKEN") or ""
local rate = tonumber(os.getenv("BENCH_RATE") or "100")
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local ids = {}
local k = 0
local pause = 0

function init(args)
  local n = tonumber(os.getenv("BENCH_THREADS") or "1")
  local conns = tonumber(os.getenv("BENCH_CONNECTIONS") or "4")
  pause = conns * 1000 / rate
  local i = 0
  for line in io.lines(os.getenv("BENCH_IDS")) do
    if i % n == tid then
      table.insert(ids, line)
    end
    i = i + 1
  end
end

function delay()
  return pause
end

local advance = '{"to":"評価改善","evaluation":"ベンチマーク：評価","improvement":"ベンチマーク：改善","actor":"bench"}'
local back = '{"to":"具体化","note":"ベンチマーク：再計画","actor":"bench"}'

function request()
  local id = ids[(k % #ids) + 1]
  local body = (math.floor(k / #ids) % 2 == 0) and advance or back
  k = k + 1
  return wrk.format("POST", "/api/countermeasures/" .. id .. "/transitions",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end

local errors = 0
function response(status, headers, body)
  if status ~= 200 and status ~= 201 then
    errors = errors + 1
  end
end
