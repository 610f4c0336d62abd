-- store.sql: every prepared statement of the store, as the operations of service/store_*.c
-- run them (store_conn.c prepares each on first use, once per connection).
--
-- "-- statement NAME" starts a statement, STORE_ST_NAME (upper case) in enum store_stmt_id;
-- "-- statement NAME write" one that changes data, so that a lost connection leaves its
-- outcome unknown. "-- part NAME" starts text that statements take in as @NAME@. The build
-- (embed_sql.cmake) joins the lines of each with single spaces and drops the "--" lines.
-- Parameters are typed in place ($1::bigint): the statements are prepared without types.

-- part schedule_select
-- Seat counts of a date: a seat is taken when sold or held by an unexpired hold.
SELECT sc.id, sc.concert_id, floor(extract(epoch FROM sc.starts_at) * 1000)::bigint,
count(*) FILTER (WHERE r.id IS NULL), count(*), coalesce(sc.venue_id, 0)
FROM schedules sc JOIN seats s ON s.schedule_id = sc.id
LEFT JOIN reservations r ON r.schedule_id = s.schedule_id AND r.seat_no = s.seat_no
AND (r.status = 'CONFIRMED' OR (r.status = 'HELD' AND r.expires_at > now()))

-- part reservation_cols
-- Columns of a reservation, in the order store_reservation_read reads them.
r.id, r.user_id, sc.concert_id, r.schedule_id, r.seat_no, r.price,
CASE WHEN r.status = 'HELD' AND r.expires_at <= now() THEN 'EXPIRED' ELSE r.status END,
floor(extract(epoch FROM r.held_at) * 1000)::bigint,
floor(extract(epoch FROM r.expires_at) * 1000)::bigint

-- part payment_select
-- Columns of a payment, in the order store_payment_read reads them.
SELECT p.id, p.reservation_id, p.user_id, r.schedule_id, r.seat_no, p.amount,
floor(extract(epoch FROM p.created_at) * 1000)::bigint,
coalesce(l.balance_after, w.balance, 0), bo_hold_seats(p.reservation_id)
FROM payments p JOIN reservations r ON r.id = p.reservation_id
LEFT JOIN point_ledger l ON l.payment_id = p.id AND l.kind = 'PAYMENT'
LEFT JOIN wallets w ON w.user_id = p.user_id

-- ---- users and catalog (store_catalog.c) ----

-- statement user_exists
SELECT 1 FROM users WHERE id = $1::bigint

-- statement user_create write
-- A new account: the next id past both the sequence and every existing id, with its wallet.
-- No row when another sign-up took the id first (the caller tries again).
WITH n AS (SELECT greatest(nextval('users_id_seq'),
(SELECT coalesce(max(id), 0) + 1 FROM users)) AS id),
s AS (SELECT setval('users_id_seq', n.id) AS id FROM n),
u AS (INSERT INTO users (id, name, password_hash) SELECT s.id, $1::text, $2::text FROM s
ON CONFLICT (id) DO NOTHING RETURNING id),
w AS (INSERT INTO wallets (user_id) SELECT id FROM u RETURNING user_id)
SELECT id FROM u

-- statement user_ensure write
-- A user named by an operator identity token, made on first use with an empty wallet.
WITH u AS (INSERT INTO users (id, name) VALUES ($1::bigint, '') ON CONFLICT (id) DO NOTHING
RETURNING id)
INSERT INTO wallets (user_id) SELECT id FROM u ON CONFLICT DO NOTHING

-- statement user_password
SELECT coalesce(password_hash, '') FROM users WHERE id = $1::bigint

-- statement concert_exists
SELECT 1 FROM concerts WHERE id = $1::bigint

-- statement concert_opens
SELECT coalesce(floor(extract(epoch FROM sale_opens_at) * 1000)::bigint, 0)
FROM concerts WHERE id = $1::bigint

-- part concert_select
-- Columns of a concert, in the order store_concert_read reads them.
SELECT c.id, c.title, c.artist, c.venue,
(SELECT count(*) FROM schedules sc WHERE sc.concert_id = c.id),
coalesce(floor(extract(epoch FROM c.sale_opens_at) * 1000)::bigint, 0)
FROM concerts c

-- statement concerts_list
@concert_select@ ORDER BY c.id

-- statement concert_set_opens write
WITH u AS (UPDATE concerts SET sale_opens_at = CASE WHEN $2::bigint = 0 THEN NULL
ELSE timestamptz 'epoch' + $2::bigint * interval '1 millisecond' END
WHERE id = $1::bigint RETURNING id, title, artist, venue, sale_opens_at)
SELECT u.id, u.title, u.artist, u.venue,
(SELECT count(*) FROM schedules sc WHERE sc.concert_id = u.id),
coalesce(floor(extract(epoch FROM u.sale_opens_at) * 1000)::bigint, 0)
FROM u

-- statement schedule_dates
-- A concert's dates without their seat counts, which the seat maps in memory give: the index
-- on (concert_id, starts_at) answers it without touching a seat.
SELECT sc.id, sc.concert_id, floor(extract(epoch FROM sc.starts_at) * 1000)::bigint, 0, 0,
coalesce(sc.venue_id, 0)
FROM schedules sc WHERE sc.concert_id = $1::bigint ORDER BY sc.starts_at, sc.id

-- statement schedule_get
-- (A date of the hall: a venue date has no seats rows.)
@schedule_select@
WHERE sc.id = $1::bigint GROUP BY sc.id

-- part seat_state_cols
-- Each seat with the live reservation it is about (0: none) and, while HELD, when the hold
-- lapses; a hold past it reads AVAILABLE, still naming its reservation (bo_seatmap orders a
-- seat's states by it). A seat of a hold of several is about the hold (its first row's id).
s.seat_no, s.price,
CASE WHEN r.status = 'CONFIRMED' THEN 3
WHEN r.status = 'HELD' AND r.expires_at > now() THEN 2 ELSE 1 END,
coalesce(r.hold_id, r.id, 0),
CASE WHEN r.status = 'HELD' THEN floor(extract(epoch FROM r.expires_at) * 1000)::bigint
ELSE 0 END

-- part live_reservation
-- The live-seat partial index makes this join cheap.
LEFT JOIN reservations r ON r.schedule_id = s.schedule_id
AND r.seat_no = s.seat_no AND r.status IN ('HELD', 'CONFIRMED')

-- statement seats_list
SELECT @seat_state_cols@ FROM seats s @live_reservation@
WHERE s.schedule_id = $1::bigint ORDER BY s.seat_no

-- statement seats_list_many
-- The maps of several dates ($1: '{id,id,...}') in one round trip, date by date. Joined from
-- unnest, not "= ANY($1)": the generic plan of the latter scans every reservation. The live
-- reservations of the dates are read first, a range of the live-seat index a date, and merged
-- with the seats: probing the index seat by seat (live_reservation) cost 4-5 times as much
-- for 40 dates of 50 seats (6,200 buffer reads against 360).
WITH r AS MATERIALIZED (
SELECT r.schedule_id, r.seat_no, r.status, r.expires_at, r.hold_id, r.id
FROM unnest($1::bigint[]) AS e(id) JOIN reservations r ON r.schedule_id = e.id
AND r.status IN ('HELD', 'CONFIRMED'))
SELECT s.schedule_id, @seat_state_cols@
FROM unnest($1::bigint[]) AS d(id) JOIN seats s ON s.schedule_id = d.id
LEFT JOIN r ON r.schedule_id = s.schedule_id AND r.seat_no = s.seat_no
ORDER BY s.schedule_id, s.seat_no

-- statement live_seats_many
-- The live reservations of several dates ($1: '{id,id,...}'), with the columns of
-- seat_state_cols but no price: enough to refresh maps whose seats and prices are known (a seat
-- without a row is AVAILABLE), and far fewer rows than the seats while a sale is young.
SELECT r.schedule_id, r.seat_no,
CASE WHEN r.status = 'CONFIRMED' THEN 3 WHEN r.expires_at > now() THEN 2 ELSE 1 END,
coalesce(r.hold_id, r.id),
CASE WHEN r.status = 'HELD' THEN floor(extract(epoch FROM r.expires_at) * 1000)::bigint
ELSE 0 END
FROM unnest($1::bigint[]) AS d(id) JOIN reservations r ON r.schedule_id = d.id
AND r.status IN ('HELD', 'CONFIRMED')
ORDER BY r.schedule_id, r.seat_no

-- statement seat_counts_many
-- How many seats each date of $1 ('{id,id,...}') has available and in all, counted as
-- schedule_select counts them, by date: two counts on indexes a date, where its map would be
-- as many rows as it has seats.
SELECT d.id, s.n - r.n, s.n FROM unnest($1::bigint[]) AS d(id)
CROSS JOIN LATERAL (SELECT count(*) AS n FROM seats WHERE schedule_id = d.id) s
CROSS JOIN LATERAL (SELECT count(*) AS n FROM reservations WHERE schedule_id = d.id
AND status IN ('HELD', 'CONFIRMED') AND (status = 'CONFIRMED' OR expires_at > now())) r
ORDER BY d.id

-- statement concert_create write
INSERT INTO concerts (title, artist, venue, sale_opens_at)
VALUES ($1::text, $2::text, $3::text, CASE WHEN $4::bigint = 0 THEN NULL
ELSE timestamptz 'epoch' + $4::bigint * interval '1 millisecond' END) RETURNING id

-- statement schedule_create write
WITH sc AS (INSERT INTO schedules (concert_id, starts_at)
VALUES ($1::bigint, timestamptz 'epoch' + $2::bigint * interval '1 millisecond')
RETURNING id, starts_at),
st AS (INSERT INTO seats (schedule_id, seat_no, price)
SELECT sc.id, g.n, ($3::bigint[])[g.n] FROM sc,
generate_series(1, 50) AS g(n) RETURNING 1)
SELECT sc.id, floor(extract(epoch FROM sc.starts_at) * 1000)::bigint,
(SELECT count(*) FROM st) FROM sc

-- ---- holds (store_holds.c) ----

-- statement schedule_exists
SELECT 1 FROM schedules WHERE id = $1::bigint

-- statement hold_insert write
-- One statement, hence one transaction and one round trip: first end the expired holds
-- on this seat and of this user on this date, then insert. The scalar subquery over
-- "ended" is a one-time filter, so the UPDATE has run before the INSERT checks the
-- unique indexes, which then see the old rows as deleted by this transaction. Races
-- are decided by the indexes (23505), never by a read here.
WITH ended AS (UPDATE reservations SET status = 'EXPIRED'
WHERE status = 'HELD' AND expires_at <= now()
AND schedule_id = $2::bigint
AND (seat_no = $3::int OR user_id = $1::bigint) RETURNING id),
ins AS (INSERT INTO reservations
(user_id, schedule_id, seat_no, price, status, held_at, expires_at)
SELECT $1::bigint, s.schedule_id, s.seat_no, s.price, 'HELD', now(),
now() + $4::bigint * interval '1 millisecond' FROM seats s
WHERE s.schedule_id = $2::bigint AND s.seat_no = $3::int
AND (SELECT count(*) FROM ended) >= 0 RETURNING *)
SELECT r.id, r.user_id, sc.concert_id, r.schedule_id, r.seat_no, r.price,
r.status, floor(extract(epoch FROM r.held_at) * 1000)::bigint,
floor(extract(epoch FROM r.expires_at) * 1000)::bigint
FROM ins r JOIN schedules sc ON sc.id = r.schedule_id

-- statement hold_release write
-- The user's live hold on a date of concert $3 (the caller's queue token's), every seat of it:
-- the hold's row first, then its other seats.
WITH u AS (UPDATE reservations SET status = 'CANCELLED',
cancelled_at = now() WHERE ((id = $1::bigint AND hold_id IS NULL) OR hold_id = $1::bigint)
AND user_id = $2::bigint
AND status = 'HELD' AND expires_at > now()
AND schedule_id IN (SELECT id FROM schedules WHERE concert_id = $3::bigint) RETURNING *)
SELECT @reservation_cols@ FROM u r
JOIN schedules sc ON sc.id = r.schedule_id ORDER BY r.hold_id NULLS FIRST, r.seat_no

-- statement reservation_get
-- A hold by its id (the other seats of a hold of several are not reservations of their own).
SELECT @reservation_cols@ FROM reservations r
JOIN schedules sc ON sc.id = r.schedule_id WHERE r.id = $1::bigint AND r.hold_id IS NULL

-- statement holds_expire write
UPDATE reservations SET status = 'EXPIRED' WHERE status = 'HELD'
AND expires_at <= now()

-- ---- points and payments (store_money.c) ----

-- statement balance_get
SELECT coalesce(w.balance, 0) FROM users u
LEFT JOIN wallets w ON w.user_id = u.id WHERE u.id = $1::bigint

-- statement charge write
-- The wallet row lock serializes concurrent changes of one balance; the CHECKs on
-- wallets turn an overflow into 23514.
WITH w AS (INSERT INTO wallets (user_id, balance)
VALUES ($1::bigint, $2::bigint) ON CONFLICT (user_id) DO UPDATE
SET balance = wallets.balance + EXCLUDED.balance, updated_at = now()
RETURNING balance),
l AS (INSERT INTO point_ledger (user_id, delta, balance_after, kind)
SELECT $1::bigint, $2::bigint, w.balance, 'CHARGE' FROM w RETURNING id)
SELECT l.id, w.balance FROM w, l

-- statement charge_keyed write
-- A charge with an Idempotency-Key: claims the key ($3, fingerprint $4) with the id of the
-- ledger row it will name, and charges only when the claim took, all in one statement (an
-- overflow undoes the claim with the charge). A concurrent claim of the same key waits on
-- the primary key until the first ends. No row back: the key was taken already.
WITH k AS (INSERT INTO idempotency_keys (user_id, scope, key, request_fingerprint, result_id)
VALUES ($1::bigint, 'charge', $3::text, $4::text, nextval('point_ledger_id_seq'))
ON CONFLICT DO NOTHING RETURNING result_id),
w AS (INSERT INTO wallets (user_id, balance) SELECT $1::bigint, $2::bigint FROM k
ON CONFLICT (user_id) DO UPDATE
SET balance = wallets.balance + EXCLUDED.balance, updated_at = now()
RETURNING balance),
l AS (INSERT INTO point_ledger (id, user_id, delta, balance_after, kind)
SELECT k.result_id, $1::bigint, $2::bigint, w.balance, 'CHARGE' FROM w, k RETURNING id)
SELECT l.id, w.balance FROM w, l

-- statement ledger_charge_get
SELECT delta, balance_after FROM point_ledger
WHERE id = $1::bigint AND user_id = $2::bigint AND kind = 'CHARGE'

-- statement idem_get
SELECT request_fingerprint, result_id FROM idempotency_keys
WHERE user_id = $1::bigint AND scope = $2::text AND key = $3::text

-- statement idem_sweep write
-- The oldest keys created more than $1 seconds ago, at most $2 of them (the index on created_at
-- finds them). A retry with a swept key is a new request.
DELETE FROM idempotency_keys WHERE (user_id, scope, key) IN (
SELECT user_id, scope, key FROM idempotency_keys
WHERE created_at < now() - make_interval(secs => $1::bigint)
ORDER BY created_at LIMIT $2::int)

-- statement pay_call write
-- A whole payment in one round trip: db/migrations/003_pay_function.sql, with the concert
-- check of 004_pay_in_concert.sql. The hold's seats are bo_hold_seats's query written out: a
-- SQL function called from a statement is planned again at each of its executions (0.06 ms
-- of PostgreSQL a payment, by pgbench), the statement's own subquery once a connection.
SELECT f.code, f.replayed, f.id, f.reservation_id, f.user_id, f.schedule_id, f.seat_no, f.amount,
f.paid_at_ms, f.balance_after,
(SELECT string_agg(h.seat_no || ':' || h.price, ',' ORDER BY h.seat_no) FROM reservations h
WHERE h.id = f.reservation_id OR h.hold_id = f.reservation_id)
FROM bo_pay_in_concert($1::bigint, $2::bigint, $3::bigint, $4::text, $5::text) AS f

-- statement payment_by_reservation
@payment_select@
WHERE p.reservation_id = $1::bigint AND p.user_id = $2::bigint

-- ---- venues (store_venues.c) ----

-- statement venue_create write
-- A venue and its sections ($2.. as arrays, section order), seats numbered on in that order.
WITH v AS (INSERT INTO venues (name, capacity) VALUES ($1::text, $6::int) RETURNING id),
s AS (INSERT INTO venue_sections (venue_id, ord, name, rows, seats_per_row, price, first_seat_no)
SELECT v.id, x.i - 1, x.name, x.rows, x.spr, x.price,
1 + coalesce(sum(x.rows * x.spr) OVER (ORDER BY x.i ROWS BETWEEN UNBOUNDED PRECEDING
AND 1 PRECEDING), 0)::int
FROM v, unnest($2::text[], $3::int[], $4::int[], $5::bigint[])
WITH ORDINALITY AS x(name, rows, spr, price, i) RETURNING 1)
SELECT v.id, (SELECT count(*) FROM s) FROM v

-- statement venue_get
-- A venue's sections in order, each row with the venue's name and capacity.
SELECT v.name, v.capacity, vs.name, vs.rows, vs.seats_per_row, vs.price, vs.first_seat_no
FROM venues v JOIN venue_sections vs ON vs.venue_id = v.id
WHERE v.id = $1::bigint ORDER BY vs.ord

-- statement schedule_create_venue write
-- A date on a venue: its seats have no rows (see 006_venues.sql).
INSERT INTO schedules (concert_id, starts_at, venue_id)
SELECT $1::bigint, timestamptz 'epoch' + $2::bigint * interval '1 millisecond', v.id
FROM venues v WHERE v.id = $3::bigint
RETURNING id, floor(extract(epoch FROM starts_at) * 1000)::bigint,
(SELECT capacity FROM venues WHERE id = $3::bigint)

-- statement hold_seats write
-- Several seats (or one) in one hold, all or nothing: db/migrations/006_venues.sql.
SELECT code, coalesce(id, 0), coalesce(seat_no, 0), coalesce(price, 0), coalesce(held_at_ms, 0),
coalesce(expires_at_ms, 0)
FROM bo_hold($1::bigint, $2::bigint, $3::bigint, $4::int[], $5::bigint)

-- statement refund_call write
SELECT f.code, coalesce(f.replayed, false), coalesce(f.id, 0), coalesce(f.reservation_id, 0),
coalesce(f.schedule_id, 0), coalesce(f.amount, 0), coalesce(f.refunded_at_ms, 0),
coalesce(f.balance_after, 0), coalesce(f.paid_at_ms, 0),
coalesce((SELECT sc.concert_id FROM schedules sc WHERE sc.id = f.schedule_id), 0),
coalesce(bo_hold_seats(f.reservation_id), '')
FROM bo_refund($1::bigint, $2::bigint, $3::bigint, $4::text, $5::text) AS f

-- statement schedule_venue
-- The venue of a date (0: the hall) and its concert.
SELECT concert_id, coalesce(venue_id, 0) FROM schedules WHERE id = $1::bigint
