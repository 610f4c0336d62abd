-- 004_pay_in_concert: a payment is made with a queue token of the reservation's concert.
--
-- bo_pay (003) checks that the reservation is the payer's. bo_pay_in_concert checks first that
-- it is on a date of p_concert, the concert of the queue token the payer acts with: a token of
-- concert A cannot pay a hold on a date of concert B, as it cannot make one. The answer is then
-- WRONG_CONCERT, and nothing is claimed or paid. Otherwise it is bo_pay, in the same statement,
-- so a payment stays one round trip. A missing reservation and another user's are left to
-- bo_pay, so those answers stay as they were (and tell nothing of another user's concert).
-- bo_pay itself stays as it is: an instance of the version before this one still calls it.

CREATE FUNCTION bo_pay_in_concert(p_user bigint, p_concert bigint, p_reservation bigint,
                                  p_key text, p_fingerprint text)
RETURNS TABLE (code text, replayed boolean, id bigint, reservation_id bigint, user_id bigint,
               schedule_id bigint, seat_no integer, amount bigint, paid_at_ms bigint,
               balance_after bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    -- A reservation never moves to another date, nor a date to another concert: no lock needed.
    IF EXISTS (SELECT 1 FROM reservations res JOIN schedules sc ON sc.id = res.schedule_id
                WHERE res.id = p_reservation AND res.user_id = p_user
                  AND sc.concert_id <> p_concert) THEN
        code := 'WRONG_CONCERT';
        RETURN NEXT;
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM bo_pay(p_user, p_reservation, p_key, p_fingerprint);
END
$$;
