-- wrk: one ward's countermeasure list, 50 a page, a random page of its
-- open rows; the HTML page (BENCH_KIND=html: /wards/W/countermeasures?page=N)
-- or its JSON twin (json: /api/wards/W/countermeasures?limit=50&offset=…).
local token = os.getenv("BENCH_TOKEN") or ""
local ward = os.getenv("BENCH_WARD") or "1"
local pages = tonumber(os.getenv("BENCH_PAGES") or "1")
local kind = os.getenv("BENCH_KIND") or "json"
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end
function request()
  local page = math.random(1, pages)
  local path
  if kind == "html" then
    path = "/wards/" .. ward .. "/countermeasures?page=" .. page
  else
    path = "/api/wards/" .. ward .. "/countermeasures?limit=50&offset=" .. (50 * (page - 1))
  end
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end
