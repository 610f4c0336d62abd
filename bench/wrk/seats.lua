-- seats.lua: scenario 1 over REST — GET /api/v1/schedules/{id}/seats with a Queue-Token.
--
-- The runner obtains ACTIVE tokens beforehand and passes them in BENCH_TOKENS_FILE (one a
-- line) or BENCH_TOKENS (comma-separated), the dates in BENCH_SCHEDULES ("1,2,3,4,5", dates
-- of the tokens' concert). Each thread cycles through every (token, date) pair, starting at
-- its own offset. The same script measures the nginx reference (which ignores the header).
--   wrk -t2 -c100 -d60s --latency -s bench/wrk/seats.lua http://127.0.0.1:8080
-- bigmap.lua runs this script with SEATS_NAME and SEATS_QUERY set (a section's seats).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local reqs = {}
local n = 0

setup = common.setup

function init(args)
   local tokens = {}
   local file = common.env("BENCH_TOKENS_FILE", nil)
   if file then
      for line in io.lines(file) do
         if line ~= "" then
            tokens[#tokens + 1] = line
         end
      end
   else
      tokens = common.list(common.env("BENCH_TOKENS", ""))
   end
   if #tokens == 0 then
      tokens = {"none"}
      io.stderr:write("seats.lua: no tokens (BENCH_TOKENS_FILE or BENCH_TOKENS)\n")
   end
   local schedules = common.list(common.env("BENCH_SCHEDULES", "1,2,3,4,5"))
   local query = SEATS_QUERY and SEATS_QUERY() or ""
   for _, tok in ipairs(tokens) do
      for _, s in ipairs(schedules) do
         reqs[#reqs + 1] = wrk.format("GET", "/api/v1/schedules/" .. s .. "/seats" .. query,
                                      {["Queue-Token"] = tok})
      end
   end
   n = (thread_id or 0) * 7919
end

function request()
   n = n + 1
   return common.sent(reqs[n % #reqs + 1])
end

function done(summary, latency, requests)
   common.done(SEATS_NAME or "seats", summary, latency, requests)
end
