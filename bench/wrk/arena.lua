-- arena.lua: issue 11's purchase with best available over REST — join -> admitted -> dates ->
-- sections -> hold the best 2 seats together -> charge -> pay, on venue dates (sections of
-- 20 rows x 100 seats) the runner makes for the cell, enough that it never sells out.
--
-- A state machine per connection, like flow.lua (one connection per thread: wrk -tN -cN).
-- Each purchase is a fresh user (BENCH_USER_BASE shifts the start) on one of the concerts of
-- BENCH_CONCERTS (picked at random), with its identity token from BENCH_JWTS_FILE (the join
-- with it alone, hold and pay with it and the Queue-Token, the charge with it alone). It picks
-- a date with at least 2 seats left (GET /api/v1/concerts/{id}/schedules), then a section
-- with at least 2 left at random (GET /api/v1/schedules/{id}/sections), and holds
-- {"scheduleId","section","quantity":2,"together":true}. A 409 on the hold is expected:
-- SEAT_TAKEN (another buyer won the race for that block; counted in seatTaken) tries the same
-- section again, NOT_ENOUGH_SEATS (no 2 together left there; notEnoughSeats) another section,
-- up to HOLD_TRIES holds. Anything else non-2xx counts as a failure and starts a new purchase.
--   BENCH_JWTS_FILE=jwts.txt BENCH_CONCERTS=7 \
--     wrk -t100 -c100 -d60s --latency -s bench/wrk/arena.lua http://127.0.0.1:8080
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local POLL_MS = 20
local HOLD_TRIES = 8
local QUANTITY = 2
-- A date of the concert's list and a section of a date's, each with its seats left.
local DATE = '"id":(%d+),"concertId":%d+,"startsAt":"[^"]*","availableSeats":(%d+)'
local SECTION = '"name":"(%w+)","price":%d+,"totalSeats":%d+,"availableSeats":(%d+)'

local p -- the purchase (common.purchase): concerts, run, user, concert, token
local state = "issue"
local schedule, section, skip, price, reservation, tries
local json = {["Content-Type"] = "application/json"}

c_seatTaken = 0      -- holds that lost their race (409 SEAT_TAKEN)
c_notEnoughSeats = 0 -- holds refused 409 NOT_ENOUGH_SEATS (another section tried)
c_nothingLeft = 0    -- purchases that found no date or section with 2 seats left

setup = common.setup

function init(args)
   p = common.purchase("4")
end

function request()
   local req
   if state == "issue" then
      tries = 0
      req = common.join(p)
   elseif state == "poll" then
      req = common.poll(p)
   elseif state == "schedules" then
      req = wrk.format("GET", "/api/v1/concerts/" .. p.concert .. "/schedules", common.headers(p, true))
   elseif state == "sections" then
      req = wrk.format("GET", "/api/v1/schedules/" .. schedule .. "/sections", common.headers(p, true))
   elseif state == "hold" then
      tries = tries + 1
      req = wrk.format("POST", "/api/v1/reservations", common.headers(p, true, true, json),
                       string.format('{"scheduleId":%s,"section":"%s","quantity":%d,"together":true}',
                                     schedule, section, QUANTITY))
   elseif state == "charge" then
      req = common.charge(p, reservation, price)
   else -- pay
      req = common.pay(p, reservation)
   end
   return common.sent(req)
end

function delay()
   if state == "poll" then
      return POLL_MS
   end
   return 0
end

-- pick returns one of the names pattern finds in body with at least QUANTITY seats left, other
-- than but, at random; nil when there is none.
local function pick(body, pattern, but)
   local items = {}
   for name, avail in body:gmatch(pattern) do
      if tonumber(avail) >= QUANTITY and name ~= but then
         items[#items + 1] = name
      end
   end
   if #items == 0 then
      return nil
   end
   return items[math.random(#items)]
end

-- nothing_left ends a purchase that found no seats to hold.
local function nothing_left()
   c_nothingLeft = c_nothingLeft + 1
   state = "issue"
end

function response(status, hdrs, body)
   local expected = state == "hold" and status == 409
   common.count(status, expected)
   if (status < 200 or status >= 300) and not expected then
      state = "issue"
      return
   end
   if state == "issue" or state == "poll" then
      local next = common.admission(p, body, state == "issue")
      state = next == nil and "issue" or (next == "admitted" and "schedules" or "poll")
   elseif state == "schedules" then
      schedule = pick(body, DATE)
      skip = nil
      if schedule == nil then
         nothing_left()
      else
         state = "sections"
      end
   elseif state == "sections" then
      section = pick(body, SECTION, skip)
      if section ~= nil then
         state = "hold"
      elseif tries < HOLD_TRIES then
         tries = tries + 1
         state = "schedules" -- this date has no 2 together left: another
      else
         nothing_left()
      end
   elseif state == "hold" then
      if status == 409 then
         if body:find('"NOT_ENOUGH_SEATS"', 1, true) then
            c_notEnoughSeats = c_notEnoughSeats + 1
            skip = section
            state = "sections"
         else
            c_seatTaken = c_seatTaken + 1 -- the same section again
         end
         if tries >= HOLD_TRIES then
            nothing_left()
         end
         return
      end
      reservation = body:match('"reservationId":(%d+)')
      price = tonumber(body:match('"price":(%d+)'))
      state = (reservation == nil or price == nil) and "issue" or "charge"
   elseif state == "charge" then
      state = "pay"
   else
      c_payments = c_payments + 1
      state = "issue"
   end
end

function done(summary, latency, requests)
   common.done("arena", summary, latency, requests,
               {"c_seatTaken", "c_notEnoughSeats", "c_nothingLeft"})
end
