-- wrk script used by scripts/bench: one fixed request, counted by exact status.
--
-- Environment (read by every wrk thread):
--   BENCH_METHOD  HTTP method (default GET)
--   BENCH_BODY    request body; when set, Content-Type: application/json is sent
--   BENCH_TOKEN   bearer token for the Authorization header
--   BENCH_EXPECT  the one status that counts as success (default 200)
--
-- done() prints one tab-separated line for scripts/bench to parse:
--   BENCH <ok/s> <p50 ms> <p99 ms> <errors> <ok> <unexpected> <socket errors> <codes>
-- where errors = unexpected statuses + socket errors (connect/read/write/timeout), ok/s
-- counts only responses with BENCH_EXPECT, and codes lists the unexpected statuses seen
-- ("429:12,500:1", or "-"). A second line, BENCH_SAMPLE, shows the first unexpected
-- response (status and the start of its body) so a failure can be reported exactly.

local expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
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

-- Each wrk thread runs its own copy of this script, so these globals are per thread;
-- done() (in the main state) collects them through the thread handles kept by setup().
ok, unexpected, codes, sample = 0, 0, {}, ""

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, resp_body)
  if status == expect then
    ok = ok + 1
    return
  end
  unexpected = unexpected + 1
  codes[status] = (codes[status] or 0) + 1
  if sample == "" then
    -- one line, no tabs: it is parsed by a shell script
    sample = status .. " " .. string.sub(resp_body or "", 1, 300):gsub("%c", " ")
  end
end

function done(summary, latency, requests)
  local total_ok, total_bad, all_codes, first = 0, 0, {}, ""
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_bad = total_bad + t:get("unexpected")
    for status, n in pairs(t:get("codes")) do
      all_codes[status] = (all_codes[status] or 0) + n
    end
    if first == "" then first = t:get("sample") end
  end
  local list = {}
  for status, n in pairs(all_codes) do
    table.insert(list, status .. ":" .. n)
  end
  table.sort(list)

  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  local secs = summary.duration / 1e6
  io.write(string.format("BENCH\t%.1f\t%.3f\t%.3f\t%d\t%d\t%d\t%d\t%s\n",
    total_ok / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    total_bad + socket, total_ok, total_bad, socket,
    #list > 0 and table.concat(list, ",") or "-"))
  io.write("BENCH_SAMPLE\t" .. (first ~= "" and first or "-") .. "\n")
end
