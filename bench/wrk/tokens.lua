-- tokens.lua: scenario 2 over REST — POST /api/v1/queue/tokens with varying users and
-- concerts, each user proving who it is with its identity token (Authorization: Bearer, from
-- BENCH_JWTS_FILE). Users cycle over 1..100000 across threads (BENCH_USER_BASE shifts the
-- start), concerts over 1..3 (or BENCH_CONCERT when set).
--   BENCH_JWTS_FILE=jwts.txt wrk -t1 -c100 -d60s --latency -s bench/wrk/tokens.lua http://127.0.0.1:8080
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local USERS = 100000
local k = 0
local base = 0
local fixed_concert = nil

setup = common.setup

function init(args)
   base = common.number("BENCH_USER_BASE", 0)
   fixed_concert = common.number("BENCH_CONCERT")
end

function request()
   -- Each thread walks every user from its own offset: mostly new entries in the line.
   local user = (base + (thread_id or 0) * common.USER_BLOCK + k) % USERS + 1
   local concert = fixed_concert or ((thread_id or 0) + k) % 3 + 1
   k = k + 1
   local headers = {["Content-Type"] = "application/json", ["Authorization"] = common.bearer(user)}
   local body = string.format('{"concertId":%d}', concert)
   return common.sent(wrk.format("POST", "/api/v1/queue/tokens", headers, body))
end

function done(summary, latency, requests)
   common.done("tokens", summary, latency, requests)
end
