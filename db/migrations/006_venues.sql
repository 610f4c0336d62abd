-- 006_venues: dates on venues of sections and rows (up to 100,000 seats), holds of several
-- seats, refunds.
--
-- A venue date's seats have no rows in seats: a seat's place and price come from its section
-- (venue_sections: a section's seats are first_seat_no .. first_seat_no + rows * seats_per_row
-- - 1, row by row, row 1 nearest the stage), so a date of 100,000 seats is made in one insert
-- of its schedule. A seat without a live reservation is AVAILABLE, as before. The 50-seat hall
-- (schedules.venue_id NULL) keeps its seats rows and answers as before.
--
-- A hold of several seats is several reservations rows: the first is the hold (its id is the
-- reservationId), the others name it in hold_id. Invariant 1 stays with the live-seat index
-- (per seat); HOLD_LIMIT is now per hold (the first row). Every change of a hold changes all
-- its rows in the same statement.

CREATE TABLE venues (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 127),
    capacity   integer NOT NULL CHECK (capacity BETWEEN 1 AND 100000),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE venue_sections (
    venue_id      bigint NOT NULL REFERENCES venues (id),
    ord           integer NOT NULL CHECK (ord >= 0),
    name          text NOT NULL CHECK (name ~ '^[A-Za-z0-9]{1,16}$'),
    rows          integer NOT NULL CHECK (rows BETWEEN 1 AND 1000),
    seats_per_row integer NOT NULL CHECK (seats_per_row BETWEEN 1 AND 1000),
    price         bigint NOT NULL CHECK (price >= 0),
    first_seat_no integer NOT NULL CHECK (first_seat_no BETWEEN 1 AND 100000),
    PRIMARY KEY (venue_id, ord),
    CONSTRAINT venue_sections_name_key UNIQUE (venue_id, name)
);

ALTER TABLE schedules ADD COLUMN venue_id bigint REFERENCES venues (id);

-- Venue seats have no seats rows: the hold function checks a seat exists.
ALTER TABLE reservations DROP CONSTRAINT reservations_seat_fkey;
ALTER TABLE reservations ADD CONSTRAINT reservations_seat_no_range
    CHECK (seat_no BETWEEN 1 AND 100000);
ALTER TABLE reservations ADD COLUMN hold_id bigint REFERENCES reservations (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE reservations ADD CONSTRAINT reservations_hold_not_self CHECK (hold_id <> id);
DROP INDEX reservations_user_hold_uidx;
CREATE UNIQUE INDEX reservations_user_hold_uidx ON reservations (user_id, schedule_id)
    WHERE status = 'HELD' AND hold_id IS NULL;
CREATE INDEX reservations_hold_idx ON reservations (hold_id) WHERE hold_id IS NOT NULL;

ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('COMPLETED', 'REFUNDED'));
ALTER TABLE payments ADD COLUMN refunded_at timestamptz;
ALTER TABLE payments ADD CONSTRAINT payments_refunded_at
    CHECK ((status = 'REFUNDED') = (refunded_at IS NOT NULL));

ALTER TABLE point_ledger DROP CONSTRAINT point_ledger_kind_check;
ALTER TABLE point_ledger ADD CONSTRAINT point_ledger_kind_check
    CHECK (kind IN ('CHARGE', 'PAYMENT', 'REFUND'));
ALTER TABLE point_ledger DROP CONSTRAINT point_ledger_kind_sign;
ALTER TABLE point_ledger ADD CONSTRAINT point_ledger_kind_sign
    CHECK ((kind = 'CHARGE' AND delta > 0 AND payment_id IS NULL)
           OR (kind = 'PAYMENT' AND delta < 0 AND payment_id IS NOT NULL)
           OR (kind = 'REFUND' AND delta > 0 AND payment_id IS NOT NULL));
-- A payment is refunded once: at most one REFUND row names it.
CREATE UNIQUE INDEX point_ledger_refund_uidx ON point_ledger (payment_id) WHERE kind = 'REFUND';

ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_scope_check;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_scope_check
    CHECK (scope IN ('charge', 'payment', 'refund'));

-- bo_seat_place: where seat p_seat of a date on venue p_venue is, and its price; no row when
-- the venue has no such seat.
CREATE FUNCTION bo_seat_place(p_venue bigint, p_seat integer)
RETURNS TABLE (section text, row_no integer, number integer, price bigint)
LANGUAGE sql STABLE AS $$
    SELECT vs.name, (p_seat - vs.first_seat_no) / vs.seats_per_row + 1,
           (p_seat - vs.first_seat_no) % vs.seats_per_row + 1, vs.price
      FROM venue_sections vs
     WHERE vs.venue_id = p_venue AND p_seat >= vs.first_seat_no
       AND p_seat < vs.first_seat_no + vs.rows * vs.seats_per_row
$$;

CREATE FUNCTION bo_hold(p_user bigint, p_concert bigint, p_schedule bigint, p_seats integer[],
                        p_ttl_ms bigint)
RETURNS TABLE (code text, id bigint, seat_no integer, price bigint, held_at_ms bigint,
               expires_at_ms bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_concert bigint;
    v_venue bigint;
    v_id bigint;
    v_seats integer[];
    v_prices bigint[];
    v_i integer;
    v_at timestamptz := now();
    v_until timestamptz := now() + p_ttl_ms * interval '1 millisecond';
BEGIN
    SELECT sc.concert_id, sc.venue_id INTO v_concert, v_venue FROM schedules sc
     WHERE sc.id = p_schedule;
    IF NOT FOUND THEN
        code := 'SCHEDULE_NOT_FOUND';
        RETURN NEXT;
        RETURN;
    END IF;
    IF v_concert <> p_concert THEN
        code := 'WRONG_CONCERT';
        RETURN NEXT;
        RETURN;
    END IF;
    -- The seats that exist, ascending, with their prices.
    IF v_venue IS NULL THEN
        SELECT array_agg(s.seat_no ORDER BY s.seat_no), array_agg(s.price ORDER BY s.seat_no)
          INTO v_seats, v_prices FROM seats s
         WHERE s.schedule_id = p_schedule AND s.seat_no = ANY (p_seats);
    ELSE
        SELECT array_agg(w.n ORDER BY w.n), array_agg(vs.price ORDER BY w.n)
          INTO v_seats, v_prices FROM unnest(p_seats) AS w(n) JOIN venue_sections vs
            ON vs.venue_id = v_venue AND w.n >= vs.first_seat_no
           AND w.n < vs.first_seat_no + vs.rows * vs.seats_per_row;
    END IF;
    IF coalesce(cardinality(v_seats), 0) <> cardinality(p_seats) THEN
        RETURN QUERY SELECT 'SEAT_NOT_FOUND'::text, 0::bigint, w.n, 0::bigint, 0::bigint, 0::bigint
          FROM unnest(p_seats) AS w(n) WHERE w.n <> ALL (coalesce(v_seats, '{}'));
        RETURN;
    END IF;

    -- Holds past their expiry on these seats, or the user's on this date, end first.
    -- The user's own hold on this date, past its expiry, ends first (HOLD_LIMIT counts live
    -- holds only).
    UPDATE reservations r SET status = 'EXPIRED'
     WHERE r.user_id = p_user AND r.schedule_id = p_schedule AND r.status = 'HELD'
       AND r.expires_at <= v_at;
    -- Seat by seat, ascending: a hold past its expiry on the seat ends, then the seat is
    -- claimed. A transaction waits only on the seat it is at, for one that holds it and is past
    -- it (waits go up the seat numbers), so racing holds never deadlock. The hold is its
    -- lowest seat's row; the others name it.
    v_id := nextval('reservations_id_seq');
    FOR v_i IN 1 .. cardinality(v_seats) LOOP
        UPDATE reservations r SET status = 'EXPIRED'
         WHERE r.schedule_id = p_schedule AND r.seat_no = v_seats[v_i] AND r.status = 'HELD'
           AND r.expires_at <= v_at;
        INSERT INTO reservations AS r (id, hold_id, user_id, schedule_id, seat_no, price, status,
                                       held_at, expires_at)
        VALUES (CASE WHEN v_i = 1 THEN v_id ELSE nextval('reservations_id_seq') END,
                CASE WHEN v_i = 1 THEN NULL ELSE v_id END, p_user, p_schedule, v_seats[v_i],
                v_prices[v_i], 'HELD', v_at, v_until)
        ON CONFLICT (schedule_id, seat_no) WHERE status IN ('HELD', 'CONFIRMED') DO NOTHING;
        IF NOT FOUND THEN
            -- Taken: nothing is held; the answer names every seat asked that is taken now.
            DELETE FROM reservations r WHERE r.id = v_id OR r.hold_id = v_id;
            RETURN QUERY SELECT DISTINCT 'SEAT_TAKEN'::text, 0::bigint, x.seat_no, 0::bigint,
                                0::bigint, 0::bigint
                           FROM reservations x
                          WHERE x.schedule_id = p_schedule AND x.seat_no = ANY (v_seats)
                            AND x.status IN ('HELD', 'CONFIRMED') AND x.user_id <> p_user
                            AND (x.status = 'CONFIRMED' OR x.expires_at > v_at)
                          ORDER BY x.seat_no;
            IF NOT FOUND THEN
                code := 'SEAT_TAKEN';
                id := 0;
                seat_no := v_seats[v_i];
                RETURN NEXT;
            END IF;
            RETURN;
        END IF;
    END LOOP;
    RETURN QUERY SELECT 'OK'::text, v_id, w.n, v_prices[w.i],
                        floor(extract(epoch FROM v_at) * 1000)::bigint,
                        floor(extract(epoch FROM v_until) * 1000)::bigint
                   FROM unnest(v_seats) WITH ORDINALITY AS w(n, i);
END
$$;

-- bo_pay (003) pays a hold of several seats: the amount is the sum of its seats' prices, every row
-- of the hold is confirmed, and one PAYMENT ledger row records it.
CREATE OR REPLACE FUNCTION bo_pay(p_user bigint, p_reservation bigint, p_key text, p_fingerprint text)
RETURNS TABLE (code text, replayed boolean, id bigint, reservation_id bigint, user_id bigint,
               schedule_id bigint, seat_no integer, amount bigint, paid_at_ms bigint,
               balance_after bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    r record;
    k record;
    v_id bigint;
    v_paid timestamptz;
    v_balance bigint;
    v_lapsed bigint;
    v_more bigint;
    v_price bigint;
BEGIN
    -- The row lock serializes every payment (and release) of this reservation.
    SELECT res.user_id, res.status, res.expires_at <= now() AS expired, res.price,
           res.schedule_id, res.seat_no
      INTO r FROM reservations res WHERE res.id = p_reservation AND res.hold_id IS NULL
       FOR UPDATE;
    IF NOT FOUND THEN
        code := 'RESERVATION_NOT_FOUND';
        RETURN NEXT;
        RETURN;
    END IF;
    IF r.user_id <> p_user THEN
        code := 'NOT_OWNER';
        RETURN NEXT;
        RETURN;
    END IF;

    -- A key seen before answers with what it answered then, or refuses another request.
    IF p_key IS NOT NULL THEN
        SELECT ik.request_fingerprint, ik.result_id INTO k FROM idempotency_keys ik
         WHERE ik.user_id = p_user AND ik.scope = 'payment' AND ik.key = p_key;
        IF FOUND THEN
            IF k.request_fingerprint <> p_fingerprint THEN
                code := 'IDEMPOTENCY_MISMATCH';
                RETURN NEXT;
                RETURN;
            END IF;
            RETURN QUERY SELECT * FROM bo_payment_replay(k.result_id);
            IF NOT FOUND THEN
                code := 'INTERNAL'; -- a key naming a payment that does not exist
                RETURN NEXT;
            END IF;
            RETURN;
        END IF;
    END IF;

    IF r.status <> 'HELD' THEN
        -- Paid already: without a key, a retry of the payer gets the payment again.
        IF r.status = 'CONFIRMED' AND p_key IS NULL THEN
            RETURN QUERY SELECT * FROM bo_payment_replay(
                (SELECT p.id FROM payments p
                  WHERE p.reservation_id = p_reservation AND p.user_id = p_user));
            IF NOT FOUND THEN
                code := 'RESERVATION_NOT_HELD';
                RETURN NEXT;
            END IF;
            RETURN;
        END IF;
        code := CASE WHEN r.status = 'EXPIRED' THEN 'HOLD_EXPIRED' ELSE 'RESERVATION_NOT_HELD' END;
        RETURN NEXT;
        RETURN;
    END IF;
    IF r.expired THEN
        -- The sweeper marks ended holds within a tick: a late payer learns why at once.
        UPDATE reservations SET status = 'EXPIRED' WHERE reservations.id = p_reservation;
        code := 'HOLD_EXPIRED';
        RETURN NEXT;
        RETURN;
    END IF;

    -- The other seats of the hold, locked in seat order (as bo_hold claims seats): each must
    -- still be held; a hold one of whose seats a racing hold ended at its expiry is expired.
    SELECT count(*) FILTER (WHERE NOT (g.status = 'HELD' AND g.expires_at > now())),
           coalesce(sum(g.price), 0)
      INTO v_lapsed, v_more
      FROM (SELECT x.status, x.expires_at, x.price FROM reservations x
             WHERE x.hold_id = p_reservation ORDER BY x.seat_no FOR UPDATE) g;
    IF v_lapsed > 0 THEN
        code := 'HOLD_EXPIRED';
        RETURN NEXT;
        RETURN;
    END IF;
    v_price := r.price + v_more;

    -- The wallet row lock serializes this balance's changes; too low: nothing is claimed.
    SELECT w.balance INTO v_balance FROM wallets w WHERE w.user_id = p_user FOR UPDATE;
    IF NOT FOUND OR v_balance < v_price THEN
        code := 'INSUFFICIENT_POINTS';
        RETURN NEXT;
        RETURN;
    END IF;
    v_id := nextval('payments_id_seq');
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (user_id, scope, key, request_fingerprint, result_id)
        VALUES (p_user, 'payment', p_key, p_fingerprint, v_id) ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            code := 'RETRY';
            RETURN NEXT;
            RETURN;
        END IF;
    END IF;

    UPDATE wallets SET balance = wallets.balance - v_price, updated_at = now()
     WHERE wallets.user_id = p_user RETURNING wallets.balance INTO v_balance;
    INSERT INTO payments (id, reservation_id, user_id, amount)
    VALUES (v_id, p_reservation, p_user, v_price) RETURNING created_at INTO v_paid;
    IF v_price > 0 THEN -- a ledger row records a change: none for a free seat
        INSERT INTO point_ledger (user_id, delta, balance_after, kind, payment_id)
        VALUES (p_user, -v_price, v_balance, 'PAYMENT', v_id);
    END IF;
    UPDATE reservations SET status = 'CONFIRMED', confirmed_at = now()
     WHERE reservations.id = p_reservation OR reservations.hold_id = p_reservation;

    code := 'OK';
    replayed := false;
    id := v_id;
    reservation_id := p_reservation;
    user_id := p_user;
    schedule_id := r.schedule_id;
    seat_no := r.seat_no;
    amount := v_price;
    paid_at_ms := floor(extract(epoch FROM v_paid) * 1000)::bigint;
    balance_after := v_balance;
    RETURN NEXT;
END
$$;

-- bo_refund refunds payment p_payment of p_user, at the latest p_cutoff_ms before its date
-- starts: the points back with a REFUND ledger row, the hold's seats on sale again (its rows
-- CANCELLED), the payment REFUNDED; once only. A retry with the same key (or, without a key,
-- of a payment refunded already) answers the refund again with replayed. Codes: OK,
-- PAYMENT_NOT_FOUND, NOT_OWNER, IDEMPOTENCY_MISMATCH, REFUND_CLOSED (past the cutoff), RETRY.
CREATE FUNCTION bo_refund(p_user bigint, p_payment bigint, p_cutoff_ms bigint, p_key text,
                          p_fingerprint text)
RETURNS TABLE (code text, replayed boolean, id bigint, reservation_id bigint, schedule_id bigint,
               amount bigint, refunded_at_ms bigint, balance_after bigint, paid_at_ms bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    p record;
    k record;
    v_balance bigint;
BEGIN
    -- The payment row lock serializes every refund of this payment.
    SELECT pay.user_id, pay.status, pay.amount, pay.reservation_id, pay.refunded_at, pay.created_at AS paid_at,
           res.schedule_id, sc.starts_at
      INTO p FROM payments pay JOIN reservations res ON res.id = pay.reservation_id
      JOIN schedules sc ON sc.id = res.schedule_id
     WHERE pay.id = p_payment FOR UPDATE OF pay;
    IF NOT FOUND THEN
        code := 'PAYMENT_NOT_FOUND';
        RETURN NEXT;
        RETURN;
    END IF;
    IF p.user_id <> p_user THEN
        code := 'NOT_OWNER';
        RETURN NEXT;
        RETURN;
    END IF;
    IF p_key IS NOT NULL THEN
        SELECT ik.request_fingerprint, ik.result_id INTO k FROM idempotency_keys ik
         WHERE ik.user_id = p_user AND ik.scope = 'refund' AND ik.key = p_key;
        IF FOUND AND k.request_fingerprint <> p_fingerprint THEN
            code := 'IDEMPOTENCY_MISMATCH';
            RETURN NEXT;
            RETURN;
        END IF;
    END IF;
    IF p.status = 'REFUNDED' THEN
        -- Once only: a second refund answers the first (a retry after a lost answer).
        code := 'OK';
        replayed := true;
        id := p_payment;
        reservation_id := p.reservation_id;
        schedule_id := p.schedule_id;
        amount := p.amount;
        refunded_at_ms := floor(extract(epoch FROM p.refunded_at) * 1000)::bigint;
        paid_at_ms := floor(extract(epoch FROM p.paid_at) * 1000)::bigint;
        SELECT l.balance_after INTO balance_after FROM point_ledger l
         WHERE l.payment_id = p_payment AND l.kind = 'REFUND';
        balance_after := coalesce(balance_after,
                                  (SELECT w.balance FROM wallets w WHERE w.user_id = p_user));
        RETURN NEXT;
        RETURN;
    END IF;
    IF now() > p.starts_at - p_cutoff_ms * interval '1 millisecond' THEN
        code := 'REFUND_CLOSED';
        RETURN NEXT;
        RETURN;
    END IF;
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (user_id, scope, key, request_fingerprint, result_id)
        VALUES (p_user, 'refund', p_key, p_fingerprint, p_payment) ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            code := 'RETRY';
            RETURN NEXT;
            RETURN;
        END IF;
    END IF;

    UPDATE payments SET status = 'REFUNDED', refunded_at = now() WHERE payments.id = p_payment;
    UPDATE reservations SET status = 'CANCELLED', cancelled_at = now()
     WHERE reservations.id = p.reservation_id OR reservations.hold_id = p.reservation_id;
    IF p.amount > 0 THEN
        UPDATE wallets SET balance = wallets.balance + p.amount, updated_at = now()
         WHERE wallets.user_id = p_user RETURNING wallets.balance INTO v_balance;
        INSERT INTO point_ledger (user_id, delta, balance_after, kind, payment_id)
        VALUES (p_user, p.amount, v_balance, 'REFUND', p_payment);
    ELSE
        SELECT w.balance INTO v_balance FROM wallets w WHERE w.user_id = p_user;
    END IF;
    code := 'OK';
    replayed := false;
    id := p_payment;
    reservation_id := p.reservation_id;
    schedule_id := p.schedule_id;
    amount := p.amount;
    refunded_at_ms := floor(extract(epoch FROM now()) * 1000)::bigint;
    paid_at_ms := floor(extract(epoch FROM p.paid_at) * 1000)::bigint;
    balance_after := coalesce(v_balance, 0);
    RETURN NEXT;
END
$$;

-- A refunded payment has two ledger rows: the payment's answer names the PAYMENT one.
CREATE OR REPLACE FUNCTION bo_payment_replay(p_payment bigint)
RETURNS TABLE (code text, replayed boolean, id bigint, reservation_id bigint, user_id bigint,
               schedule_id bigint, seat_no integer, amount bigint, paid_at_ms bigint,
               balance_after bigint)
LANGUAGE sql STABLE AS $$
    SELECT 'OK'::text, true, p.id, p.reservation_id, p.user_id, res.schedule_id, res.seat_no,
           p.amount, floor(extract(epoch FROM p.created_at) * 1000)::bigint,
           coalesce(l.balance_after, w.balance, 0)
      FROM payments p JOIN reservations res ON res.id = p.reservation_id
      LEFT JOIN point_ledger l ON l.payment_id = p.id AND l.kind = 'PAYMENT'
      LEFT JOIN wallets w ON w.user_id = p.user_id
     WHERE p.id = p_payment
$$;

-- bo_hold_seats lists the seats of hold p_reservation, lowest first, as text for the service:
-- "seat:price,seat:price,...".
CREATE FUNCTION bo_hold_seats(p_reservation bigint)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT string_agg(r.seat_no || ':' || r.price, ',' ORDER BY r.seat_no)
      FROM reservations r WHERE r.id = p_reservation OR r.hold_id = p_reservation
$$;
