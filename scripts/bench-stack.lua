-- wrk script of scripts/bench-stack: a fixed mix of todo requests as one signed-in user.
--
-- Environment (read by every wrk thread):
--   BENCH_TOKEN    bearer token of the user
--   BENCH_TODO_ID  one of that user's todos (for GET /api/todos/{id})
--   BENCH_MIX      weights of list,create,get,stats in each cycle of requests (default 5,2,2,1):
--                  GET /api/todos?limit=20, POST /api/todos, GET /api/todos/{id},
--                  GET /api/todos/stats
--
-- Statuses are counted by wrk itself (no response() hook, see bench.lua); done() prints the
-- same BENCH line as bench.lua.

local token = os.getenv("BENCH_TOKEN") or ""
local todo = os.getenv("BENCH_TODO_ID") or ""
local mix = os.getenv("BENCH_MIX") or "5,2,2,1"
local cycle = {}
local n = 0

-- Built per thread, once wrk knows the Host header.
function init(args)
  local auth = { ["Authorization"] = "Bearer " .. token }
  local json = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  local kinds = {
    wrk.format("GET", "/api/todos?limit=20", auth),
    wrk.format("POST", "/api/todos", json, '{"title":"stack benchmark todo"}'),
    wrk.format("GET", "/api/todos/" .. todo, auth),
    wrk.format("GET", "/api/todos/stats", auth),
  }
  local i = 0
  for weight in string.gmatch(mix, "%d+") do
    i = i + 1
    for _ = 1, tonumber(weight) do
      if kinds[i] then cycle[#cycle + 1] = kinds[i] end
    end
  end
end

function request()
  n = n + 1
  return cycle[(n - 1) % #cycle + 1]
end

function done(summary, latency, requests)
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  local good = summary.requests - e.status
  local secs = summary.duration / 1e6
  io.write(string.format("BENCH\t%.1f\t%.3f\t%.3f\t%d\t%d\t%d\t%d\t-\n",
    good / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status + socket, good, e.status, socket))
end
