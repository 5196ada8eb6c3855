-- wrk script used by scripts/bench and scripts/bench-scale: one fixed request.
--
-- Environment (read by every wrk thread):
--   BENCH_METHOD  HTTP method (default GET)
--   BENCH_BODY    request body; when set, Content-Type: application/json is sent
--   BENCH_TOKEN   bearer token for the Authorization header
--
-- No response() hook: one makes wrk hand every response to Lua, which costs wrk more CPU
-- than the fastest servers spend answering, on the same cores. Statuses are counted by wrk
-- itself, as the FastAPI peer's script does (2xx and 3xx are good); the scripts check one
-- request's exact status and body before each run.
--
-- done() prints one tab-separated line:
--   BENCH <good/s> <p50 ms> <p99 ms> <errors> <good> <bad statuses> <socket errors> -
-- where errors = bad statuses (>= 400) + socket errors (connect/read/write/timeout).

local body = os.getenv("BENCH_BODY") or ""
local token = os.getenv("BENCH_TOKEN") or ""

wrk.method = os.getenv("BENCH_METHOD") or "GET"
if body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

function done(summary, latency, requests)
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  local good = summary.requests - e.status
  local secs = summary.duration / 1e6
  io.write(string.format("BENCH\t%.1f\t%.3f\t%.3f\t%d\t%d\t%d\t%d\t-\n",
    good / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status + socket, good, e.status, socket))
  io.write("BENCH_SAMPLE\t-\n")
end
