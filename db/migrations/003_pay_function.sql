-- 003_pay_function: a payment in one round trip.
--
-- bo_pay does what the service used to do in a transaction of four or five statements
-- (lock the reservation, claim the idempotency key, check, pay, commit), in one call: the
-- service sends one statement per payment and PostgreSQL's group commit does the rest.
-- The checks are the same, in the same order, and the outcome is named by the service's
-- error names (code 'OK' with the payment, else the name and no payment). 'RETRY' asks the
-- caller to call again: another request claimed the same key between the look and the claim.

-- The answer for a payment made earlier (a replay): code 'OK', replayed, the payment.
CREATE FUNCTION bo_payment_replay(p_payment bigint)
RETURNS TABLE (code text, replayed boolean, id bigint, reservation_id bigint, user_id bigint,
               schedule_id bigint, seat_no integer, amount bigint, paid_at_ms bigint,
               balance_after bigint)
LANGUAGE sql STABLE AS $$
    SELECT 'OK'::text, true, p.id, p.reservation_id, p.user_id, res.schedule_id, res.seat_no,
           p.amount, floor(extract(epoch FROM p.created_at) * 1000)::bigint,
           coalesce(l.balance_after, w.balance, 0)
      FROM payments p JOIN reservations res ON res.id = p.reservation_id
      LEFT JOIN point_ledger l ON l.payment_id = p.id
      LEFT JOIN wallets w ON w.user_id = p.user_id
     WHERE p.id = p_payment
$$;

CREATE FUNCTION bo_pay(p_user bigint, p_reservation bigint, p_key text, p_fingerprint text)
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
BEGIN
    -- The row lock serializes every payment (and release) of this reservation.
    SELECT res.user_id, res.status, res.expires_at <= now() AS expired, res.price,
           res.schedule_id, res.seat_no
      INTO r FROM reservations res WHERE res.id = p_reservation FOR UPDATE;
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

    -- The wallet row lock serializes this balance's changes; too low: nothing is claimed.
    SELECT w.balance INTO v_balance FROM wallets w WHERE w.user_id = p_user FOR UPDATE;
    IF NOT FOUND OR v_balance < r.price THEN
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

    UPDATE wallets SET balance = wallets.balance - r.price, updated_at = now()
     WHERE wallets.user_id = p_user RETURNING wallets.balance INTO v_balance;
    INSERT INTO payments (id, reservation_id, user_id, amount)
    VALUES (v_id, p_reservation, p_user, r.price) RETURNING created_at INTO v_paid;
    IF r.price > 0 THEN -- a ledger row records a change: none for a free seat
        INSERT INTO point_ledger (user_id, delta, balance_after, kind, payment_id)
        VALUES (p_user, -r.price, v_balance, 'PAYMENT', v_id);
    END IF;
    UPDATE reservations SET status = 'CONFIRMED', confirmed_at = now()
     WHERE reservations.id = p_reservation;

    code := 'OK';
    replayed := false;
    id := v_id;
    reservation_id := p_reservation;
    user_id := p_user;
    schedule_id := r.schedule_id;
    seat_no := r.seat_no;
    amount := r.price;
    paid_at_ms := floor(extract(epoch FROM v_paid) * 1000)::bigint;
    balance_after := v_balance;
    RETURN NEXT;
END
$$;
