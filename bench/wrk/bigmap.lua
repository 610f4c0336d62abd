-- bigmap.lua: issue 11's big-map lookups over REST — the seats of one 2,000-seat section of a
-- venue date, GET /api/v1/schedules/{id}/seats?section=A (BENCH_SECTION, default A), with
-- BENCH_FORMAT=compact the compact map (&format=compact: one letter a seat). Otherwise
-- seats.lua: ACTIVE tokens of the date's concert in BENCH_TOKENS_FILE (or BENCH_TOKENS), the
-- venue dates in BENCH_SCHEDULES (the runner makes a venue of sections of 20 rows x 100 seats
-- and a date on it of a concert of its own).
--   BENCH_TOKENS_FILE=t.txt BENCH_SCHEDULES=18 \
--     wrk -t1 -c100 -d60s --latency -s bench/wrk/bigmap.lua http://127.0.0.1:8080
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"

SEATS_NAME = "bigmap"

-- SEATS_QUERY: the query string of every lookup (read in init(), once the environment is set).
function SEATS_QUERY()
   local section = os.getenv("BENCH_SECTION")
   if section == nil or section == "" then
      section = "A"
   end
   local q = "?section=" .. section
   if os.getenv("BENCH_FORMAT") == "compact" then
      q = q .. "&format=compact"
   end
   return q
end

dofile(here .. "seats.lua")
