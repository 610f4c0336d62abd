-- forget.sql: takes out of the database what a bench run made, so the next run (and the next
-- person to run `up`) starts from the stack as it was: the concerts, dates, seats and venues
-- the run created, every hold and payment on them, and the points its users were charged and
-- paid (their ledger rows go, and each wallet gives back exactly their sum, so every balance is
-- what it was before the run and still equals its ledger).
--
-- Which run: the setting bench.run, e.g. `SET bench.run = '20261201T150308Z'` before this file
-- (bench/run passes PGOPTIONS='-c bench.run=<its stamp>'). A run's concerts are those of
-- artist 'wrk' or 'nngbench' whose title holds the stamp; its charges and payments are those
-- whose Idempotency-Key starts 'wrk-<stamp>-' or 'nngbench-<stamp>' (nngbench adds
-- -<scenario>-<type> to the stamp it is given); its venues are named 'bench <stamp>' or
-- 'nngbench <scenario> <stamp>...'. An empty bench.run forgets every bench run at once.
--
-- All or nothing, in one transaction: should a user have spent points the run charged them on
-- something of their own meanwhile, giving the charge back would leave their wallet below zero;
-- the wallet's check refuses it and nothing is forgotten (psql reports why).
--
-- PostgreSQL checks every foreign key of a deleted row against its referencing table: two of
-- those checks have no index to use (a seat's reservations, a payment's ledger rows), and
-- without one each deleted seat would scan all reservations. Two indexes are built for the
-- deletes and dropped before the end, so the schema is the same afterwards.
\set ON_ERROR_STOP on
BEGIN;

CREATE TEMP TABLE forget_run ON COMMIT DROP AS
SELECT coalesce(current_setting('bench.run', true), '') AS run;

CREATE TEMP TABLE forget_concerts ON COMMIT DROP AS
SELECT c.id FROM concerts c, forget_run f
 WHERE c.artist IN ('wrk', 'nngbench') AND (f.run = '' OR strpos(c.title, f.run) > 0);

CREATE TEMP TABLE forget_schedules ON COMMIT DROP AS
SELECT s.id FROM schedules s WHERE s.concert_id IN (SELECT id FROM forget_concerts);

CREATE TEMP TABLE forget_reservations ON COMMIT DROP AS
SELECT r.id FROM reservations r WHERE r.schedule_id IN (SELECT id FROM forget_schedules);

CREATE TEMP TABLE forget_payments ON COMMIT DROP AS
SELECT p.id FROM payments p WHERE p.reservation_id IN (SELECT id FROM forget_reservations);

CREATE TEMP TABLE forget_keys ON COMMIT DROP AS
SELECT k.user_id, k.scope, k.key, k.result_id FROM idempotency_keys k, forget_run f
 WHERE (f.run = '' AND (starts_with(k.key, 'wrk-') OR starts_with(k.key, 'nngbench-')))
    OR (f.run <> '' AND (starts_with(k.key, 'wrk-' || f.run || '-') OR
                         starts_with(k.key, 'nngbench-' || f.run)));

-- The run's ledger rows: those of its payments (and their refunds), and its charges (a
-- charge's key names its ledger row).
CREATE TEMP TABLE forget_ledger ON COMMIT DROP AS
SELECT l.id, l.user_id, l.delta FROM point_ledger l
 WHERE l.payment_id IN (SELECT id FROM forget_payments)
    OR (l.kind = 'CHARGE' AND l.id IN (SELECT result_id FROM forget_keys WHERE scope = 'charge'));

-- Temporary tables have no statistics until analyzed: the deletes below join them.
ANALYZE forget_concerts, forget_schedules, forget_reservations, forget_payments, forget_keys,
        forget_ledger;

SELECT (SELECT count(*) FROM forget_concerts) AS concerts,
       (SELECT count(*) FROM forget_schedules) AS dates,
       (SELECT count(*) FROM forget_reservations) AS reservations,
       (SELECT count(*) FROM forget_payments) AS payments,
       (SELECT count(*) FROM forget_ledger) AS ledger_rows;

CREATE INDEX forget_reservations_seat ON reservations (schedule_id, seat_no);
CREATE INDEX forget_ledger_payment ON point_ledger (payment_id);

UPDATE wallets w SET balance = w.balance - d.delta, updated_at = now()
  FROM (SELECT user_id, sum(delta) AS delta FROM forget_ledger GROUP BY user_id) d
 WHERE w.user_id = d.user_id;
DELETE FROM point_ledger WHERE id IN (SELECT id FROM forget_ledger);
DELETE FROM idempotency_keys k USING forget_keys f
 WHERE k.user_id = f.user_id AND k.scope = f.scope AND k.key = f.key;
DELETE FROM payments WHERE id IN (SELECT id FROM forget_payments);
DELETE FROM reservations WHERE id IN (SELECT id FROM forget_reservations);
DELETE FROM seats WHERE schedule_id IN (SELECT id FROM forget_schedules);
DELETE FROM schedules WHERE id IN (SELECT id FROM forget_schedules);
DELETE FROM concerts WHERE id IN (SELECT id FROM forget_concerts);
DELETE FROM venue_sections vs USING venues v, forget_run f
 WHERE vs.venue_id = v.id AND strpos(v.name, f.run) > 0
   AND (starts_with(v.name, 'bench ') OR starts_with(v.name, 'nngbench '))
   AND NOT EXISTS (SELECT 1 FROM schedules s WHERE s.venue_id = v.id);
DELETE FROM venues v USING forget_run f
 WHERE strpos(v.name, f.run) > 0 AND (starts_with(v.name, 'bench ') OR starts_with(v.name, 'nngbench '))
   AND NOT EXISTS (SELECT 1 FROM schedules s WHERE s.venue_id = v.id);

DROP INDEX forget_reservations_seat;
DROP INDEX forget_ledger_payment;
COMMIT;
