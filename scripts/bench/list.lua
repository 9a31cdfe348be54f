-- wrk: the countermeasure list API of a random ward, filtered (stage
-- 具体化, open) and paginated (50 a page, first or second page).
local token = os.getenv("BENCH_TOKEN") or ""
local wards = tonumber(os.getenv("BENCH_WARDS") or "1892")
local stages = { "%E6%9C%AA%E5%85%B7%E4%BD%93%E5%8C%96", "%E5%85%B7%E4%BD%93%E5%8C%96", "%E8%A9%95%E4%BE%A1%E6%94%B9%E5%96%84" }
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end
function request()
  local ward = math.random(1, wards)
  local path = "/api/wards/" .. ward .. "/countermeasures?stage=" .. stages[math.random(1, 3)]
    .. "&limit=50&offset=" .. (50 * math.random(0, 1))
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end
