-- tokens.lua: scenario 2 over REST — POST /api/v1/queue/tokens with varying users and
-- concerts, each user proving who it is with its identity token (Authorization: Bearer, from
-- BENCH_JWTS_FILE). Users cycle over 1..100000 across threads (BENCH_USER_BASE shifts the
-- start). With BENCH_CONCERTS (the cell's own concerts, as bench/run gives them) every request
-- is a new entry in a line: all users join the first concert, then the next, and so on (a user
-- asking again for a concert whose token is live gets that token back: no new entry, no
-- admission). Without it, concerts 1..3 in turn (or BENCH_CONCERT).
--   BENCH_JWTS_FILE=jwts.txt wrk -t1 -c100 -d60s --latency -s bench/wrk/tokens.lua http://127.0.0.1:8080
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local USERS = 100000
local k = 0
local base = 0
local fixed_concert = nil
local concerts = {}

setup = common.setup

function init(args)
   base = common.number("BENCH_USER_BASE", 0)
   fixed_concert = common.number("BENCH_CONCERT")
   for id in common.env("BENCH_CONCERTS", ""):gmatch("%d+") do
      concerts[#concerts + 1] = tonumber(id)
   end
end

function request()
   -- Each thread walks every user from its own offset.
   local user = (base + (thread_id or 0) * common.USER_BLOCK + k) % USERS + 1
   local concert
   if #concerts > 0 then
      concert = concerts[math.floor(k / USERS) % #concerts + 1]
   else
      concert = fixed_concert or ((thread_id or 0) + k) % 3 + 1
   end
   k = k + 1
   local headers = {["Content-Type"] = "application/json", ["Authorization"] = common.bearer(user)}
   local body = string.format('{"concertId":%d}', concert)
   return common.sent(wrk.format("POST", "/api/v1/queue/tokens", headers, body))
end

function done(summary, latency, requests)
   common.done("tokens", summary, latency, requests)
end
