-- common.lua: what the boxoffice wrk scripts share (Debian's wrk 4.1, LuaJIT).
--
-- Loaded by each scenario script with dofile() from the script's own folder.
-- Every wrk thread runs its own Lua state: counters are globals there (c_*), read
-- back in done() through the thread objects kept by setup(). done() prints one
-- line "WRK_JSON {...}" that bench/run parses: latency percentiles (ms), counts,
-- non-2xx responses (wrk itself does not count 4xx/5xx as failures), bytes.
-- seats.lua and tokens.lua define no response() (a Lua call per response would make
-- wrk the bottleneck): their non-2xx count is wrk's own count of statuses above 399.
local M = {}

local threads = {}

c_sent = 0       -- bytes of requests written by this thread
c_ok = 0         -- 2xx responses
c_non2xx = 0     -- other responses
c_expected = 0   -- non-2xx that the scenario expects (flow: 409 SEAT_TAKEN)
c_payments = 0   -- flow: payments made
c_statuses = {}  -- non-2xx responses by status

-- M.env returns the environment variable name or default.
function M.env(name, default)
   local v = os.getenv(name)
   if v == nil or v == "" then
      return default
   end
   return v
end

-- M.number returns the environment variable name as a number, or default when it is unset
-- or no number.
function M.number(name, default)
   return tonumber(M.env(name, "")) or default
end

-- M.list splits "a,b,c" into a table of strings.
function M.list(s)
   local out = {}
   for item in string.gmatch(s or "", "[^,%s]+") do
      out[#out + 1] = item
   end
   return out
end

-- M.USER_BLOCK: users each thread (one connection) draws from, so connections never share
-- a user and so never share a token; 1,000 threads cover the 100,000 demo users.
M.USER_BLOCK = 100

-- Identity tokens (operator JWTs) of the users, read from BENCH_JWTS_FILE, which the runner
-- writes with `boxoffice-nngbench --mint-jwts N --out FILE`: line u is user u's token, every
-- line padded with spaces to one width, so a thread seeks straight to the users it needs and
-- keeps those it read (a flow thread needs its block of M.USER_BLOCK, tokens.lua them all).
local jwt_file, jwt_width
local jwts = {}

-- M.jwt returns the identity token of user (1-based); fails loudly without BENCH_JWTS_FILE.
function M.jwt(user)
   local t = jwts[user]
   if t ~= nil then
      return t
   end
   if jwt_file == nil then
      local path = M.env("BENCH_JWTS_FILE", nil)
      if path == nil then
         error("BENCH_JWTS_FILE is not set: mint the users' identity tokens with " ..
               "boxoffice-nngbench --mint-jwts 100000 --out FILE")
      end
      jwt_file = assert(io.open(path, "rb"))
      jwt_width = #assert(jwt_file:read("*l"), "BENCH_JWTS_FILE is empty")
   end
   assert(jwt_file:seek("set", (user - 1) * (jwt_width + 1)))
   local line = jwt_file:read("*l")
   t = line and line:match("^(%S+)")
   if t == nil then
      error("BENCH_JWTS_FILE has no token for user " .. user)
   end
   jwts[user] = t
   return t
end

-- M.bearer returns the Authorization header value of user.
function M.bearer(user)
   return "Bearer " .. M.jwt(user)
end

-- M.setup numbers the threads and keeps them for done(). wrk starts each thread right after
-- its setup, so nothing may be set in threads set up earlier: they are already running.
function M.setup(thread)
   thread:set("thread_id", #threads)
   threads[#threads + 1] = thread
end

-- M.user returns the k-th user of thread id's own block (shifted by base).
function M.user(base, id, k)
   return (base + id * M.USER_BLOCK + k % M.USER_BLOCK) % 100000 + 1
end

-- M.count records a response's status; expected tells a non-2xx the scenario expects.
function M.count(status, expected)
   if status >= 200 and status < 300 then
      c_ok = c_ok + 1
   else
      c_non2xx = c_non2xx + 1
      if expected then
         c_expected = c_expected + 1
      end
      local k = tostring(status)
      c_statuses[k] = (c_statuses[k] or 0) + 1
   end
end

-- M.sent adds a request's size.
function M.sent(req)
   c_sent = c_sent + #req
   return req
end

-- ---- a purchase, one per connection at a time (flow.lua, arena.lua) --------------------------
-- Its state p: the concerts to buy from, the run, the current user, concert and token.

-- M.purchase returns a purchase state: the concerts of BENCH_CONCERTS (default
-- default_concerts), the user base of BENCH_USER_BASE, the run of BENCH_RUN_ID; it seeds the
-- thread's random numbers.
function M.purchase(default_concerts)
   local p = {concerts = {}, base = M.number("BENCH_USER_BASE", 0), k = 0,
              run = M.env("BENCH_RUN_ID", tostring(os.time()))}
   for id in M.env("BENCH_CONCERTS", default_concerts):gmatch("%d+") do
      p.concerts[#p.concerts + 1] = tonumber(id)
   end
   math.randomseed(os.time() + (thread_id or 0) * 7919)
   return p
end

-- M.headers returns the headers of a request of p: the Queue-Token when queue is set, the
-- user's identity when identity is set, and those of extra.
function M.headers(p, queue, identity, extra)
   local h = {}
   if queue then
      h["Queue-Token"] = p.token
   end
   if identity then
      h["Authorization"] = M.bearer(p.user)
   end
   for key, v in pairs(extra or {}) do
      h[key] = v
   end
   return h
end

local JSON = {["Content-Type"] = "application/json"}

-- M.join returns the join of a fresh user of the thread's block at a concert of p's, at random.
function M.join(p)
   p.user = M.user(p.base, thread_id or 0, p.k)
   p.k = p.k + 1
   p.concert = p.concerts[math.random(#p.concerts)]
   p.token = nil
   return wrk.format("POST", "/api/v1/queue/tokens", M.headers(p, false, true, JSON),
                     string.format('{"concertId":%d}', p.concert))
end

-- M.poll returns the request asking for the state of p's token.
function M.poll(p)
   return wrk.format("GET", "/api/v1/queue/tokens/current", M.headers(p, true))
end

-- M.admission reads the answer to the join (issued set) or a poll: "admitted", "poll", or nil
-- when the purchase must start again (no token, or it ended).
function M.admission(p, body, issued)
   if issued then
      p.token = body:match('"token":"([^"]+)"')
   end
   if p.token == nil or body:find('"status":"EXPIRED"', 1, true) then
      return nil
   elseif body:find('"status":"ACTIVE"', 1, true) then
      return "admitted"
   end
   return "poll"
end

-- M.charge returns the charge of amount for hold reservation of p's user (Idempotency-Key).
function M.charge(p, reservation, amount)
   return wrk.format("POST", "/api/v1/users/" .. p.user .. "/points/charges",
                     M.headers(p, false, true, {["Content-Type"] = "application/json",
                                                ["Idempotency-Key"] = "wrk-" .. p.run .. "-charge-" .. reservation}),
                     string.format('{"amount":%d}', amount))
end

-- M.pay returns the payment of hold reservation (Idempotency-Key).
function M.pay(p, reservation)
   return wrk.format("POST", "/api/v1/payments",
                     M.headers(p, true, true, {["Content-Type"] = "application/json",
                                               ["Idempotency-Key"] = "wrk-" .. p.run .. "-pay-" .. reservation}),
                     string.format('{"reservationId":%d}', reservation))
end

local function ms(us)
   return (us or 0) / 1000.0
end

-- M.done prints the WRK_JSON line of scenario name; extra names further counters (globals of
-- each thread, e.g. arena.lua's c_seat_taken), summed and added as "<name>":N without "c_".
function M.done(name, summary, latency, requests, extra)
   local ok, non2xx, expected, sent, payments = 0, 0, 0, 0, 0
   local statuses = {}
   for _, t in ipairs(threads) do
      ok = ok + (t:get("c_ok") or 0)
      non2xx = non2xx + (t:get("c_non2xx") or 0)
      expected = expected + (t:get("c_expected") or 0)
      sent = sent + (t:get("c_sent") or 0)
      payments = payments + (t:get("c_payments") or 0)
      local st = t:get("c_statuses") or {}
      for k, v in pairs(st) do
         statuses[k] = (statuses[k] or 0) + v
      end
   end
   local e = summary.errors
   if ok + non2xx == 0 then
      -- No response() in the script (it would slow wrk down): wrk's own count of
      -- responses with a status above 399.
      non2xx = e.status
      ok = summary.requests - e.status
   end
   local socket_errors = e.connect + e.read + e.write + e.timeout
   local failures = non2xx - expected + socket_errors
   local secs = summary.duration / 1e6
   local total = summary.requests
   local parts = {}
   for k, v in pairs(statuses) do
      parts[#parts + 1] = string.format('"%s":%d', k, v)
   end
   local json = string.format(
      '{"tool":"wrk","scenario":"%s","threads":%d,"durationSeconds":%.3f,"requests":%d,' ..
      '"rate":%.3f,"ok2xx":%d,"non2xx":%d,"expectedNon2xx":%d,"failures":%d,' ..
      '"failureRate":%.6f,"socketErrors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
      '"statuses":{%s},"latencyMs":{"avg":%.3f,"min":%.3f,"med":%.3f,"p90":%.3f,' ..
      '"p95":%.3f,"p99":%.3f,"max":%.3f,"stdev":%.3f},"dataSent":%d,"dataReceived":%d,' ..
      '"payments":%d}',
      name, #threads, secs, total, total / (secs > 0 and secs or 1), ok, non2xx, expected,
      failures, total > 0 and failures / total or 0, e.connect, e.read, e.write, e.timeout,
      table.concat(parts, ","), ms(latency.mean), ms(latency.min), ms(latency:percentile(50)),
      ms(latency:percentile(90)), ms(latency:percentile(95)), ms(latency:percentile(99)),
      ms(latency.max), ms(latency.stdev), sent, summary.bytes, payments)
   for _, counter in ipairs(extra or {}) do
      local sum = 0
      for _, t in ipairs(threads) do
         sum = sum + (t:get(counter) or 0)
      end
      json = json:sub(1, -2) .. string.format(',"%s":%d}', (counter:gsub("^c_", "")), sum)
   end
   io.write("WRK_JSON " .. json .. "\n")
end

return M
