-- wrk: GET the ward dashboard page of a random ward.
local token = os.getenv("BENCH_TOKEN") or ""
local wards = tonumber(os.getenv("BENCH_WARDS") or "1892")
local counter = 0
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end
function request()
  local ward = math.random(1, wards)
  return wrk.format("GET", "/wards/" .. ward, { ["Authorization"] = "Bearer " .. token })
end
