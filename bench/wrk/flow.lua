-- flow.lua: scenario 3 over REST — join -> admitted -> dates -> seats -> hold -> charge -> pay.
--
-- A state machine per connection. wrk's Lua API does not say which connection a request or
-- a response belongs to, so the runner gives every thread exactly one connection
-- (wrk -tN -cN): the thread's state is its connection's state. response() reads the token,
-- dates, seats and reservation out of the answers; delay() paces the polling while the
-- token waits. Each flow uses a fresh user (BENCH_USER_BASE shifts the start) on one of the
-- concerts of BENCH_CONCERTS (comma-separated, picked at random for each flow; the runner
-- creates enough of them, 40 dates each, so the dates every flow lists stay few). The user proves who it is with
-- its identity token (Authorization: Bearer, from BENCH_JWTS_FILE): the join with it alone,
-- hold and pay with it and the Queue-Token, the charge with it alone; polls, dates and seats
-- need only the Queue-Token. A 409 on the hold (SEAT_TAKEN) is expected: another seat is
-- tried (up to 5 times). Anything else non-2xx counts as a failure and starts a new flow.
--   BENCH_JWTS_FILE=jwts.txt BENCH_CONCERTS=4,5,6 \
--     wrk -t100 -c100 -d60s --latency -s bench/wrk/flow.lua http://127.0.0.1:8080
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local POLL_MS = 20
local HOLD_TRIES = 5

local p -- the purchase (common.purchase): concerts, run, user, concert, token
local state = "issue"
local schedule, seats, seat, price, reservation, tries
local json = {["Content-Type"] = "application/json"}

setup = common.setup

function init(args)
   p = common.purchase("1")
end

local function restart()
   state = "issue"
end

function request()
   local req
   if state == "issue" then
      req = common.join(p)
   elseif state == "poll" then
      req = common.poll(p)
   elseif state == "schedules" then
      req = wrk.format("GET", "/api/v1/concerts/" .. p.concert .. "/schedules", common.headers(p, true))
   elseif state == "seats" then
      req = wrk.format("GET", "/api/v1/schedules/" .. schedule .. "/seats", common.headers(p, true))
   elseif state == "hold" then
      local i = math.random(#seats)
      seat = seats[i].no
      price = seats[i].price
      table.remove(seats, i)
      req = wrk.format("POST", "/api/v1/reservations", common.headers(p, true, true, json),
                       string.format('{"scheduleId":%d,"seatNo":%d}', schedule, seat))
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

local function ok(status)
   return status >= 200 and status < 300
end

function response(status, headers, body)
   local expected = state == "hold" and status == 409
   common.count(status, expected)
   if not ok(status) and not expected then
      restart()
      return
   end
   if state == "issue" or state == "poll" then
      local next = common.admission(p, body, state == "issue")
      if next == nil then
         restart()
      else
         state = next == "admitted" and "schedules" or "poll"
      end
   elseif state == "schedules" then
      local ids = {}
      for id, avail in body:gmatch('"id":(%d+),"concertId":%d+,"startsAt":"[^"]*","availableSeats":(%d+)') do
         if tonumber(avail) > 0 then
            ids[#ids + 1] = id
         end
      end
      if #ids == 0 then
         for id in body:gmatch('"id":(%d+)') do
            ids[#ids + 1] = id
         end
      end
      if #ids == 0 then
         restart() -- sold out
      else
         schedule = ids[math.random(#ids)]
         state = "seats"
      end
   elseif state == "seats" then
      seats = {}
      for no, p in body:gmatch('"seatNo":(%d+),"price":(%d+),"status":"AVAILABLE"') do
         seats[#seats + 1] = {no = tonumber(no), price = tonumber(p)}
      end
      tries = 0
      if #seats == 0 then
         state = "schedules"
      else
         state = "hold"
      end
   elseif state == "hold" then
      if status == 409 then
         tries = tries + 1
         if tries >= HOLD_TRIES or #seats == 0 then
            restart()
         end
         return
      end
      reservation = body:match('"reservationId":(%d+)')
      price = tonumber(body:match('"price":(%d+)')) or price
      if reservation == nil then
         restart()
      else
         state = "charge"
      end
   elseif state == "charge" then
      state = "pay"
   else
      c_payments = c_payments + 1
      restart()
   end
end

function done(summary, latency, requests)
   common.done("flow", summary, latency, requests)
end
