-- seed: demo data for `./boxoffice up`, the tests and the benchmarks.
--
-- Users 1..100000 with empty wallets and the password `demo`; 3 concerts with 5 dates each
-- in the 50-seat hall; an arena concert with 2 dates of 20,000 seats. The users share one
-- Argon2id hash of "demo" (m=19 MiB, t=2, made once with libsodium's crypto_pwhash_str): fine
-- for demo data, never for real accounts, whose hashes each have their own salt. Safe to run
-- again: every insert skips rows that exist. Seeded concerts, venues and dates carry fixed ids
-- so scripts can name them; the sequences are moved past them afterwards so rows created
-- through the admin API never collide.

INSERT INTO users (id, name, password_hash)
SELECT g, 'user' || g,
       '$argon2id$v=19$m=19456,t=2,p=1$QLfrqrCaXmbQt37PmMzzig$4BXMrbpfVOuZKGYwMqQ7RwLyqQN7h1TAbAjo4ezE7Gg'
FROM generate_series(1, 100000) AS g
ON CONFLICT (id) DO UPDATE SET password_hash = EXCLUDED.password_hash
WHERE users.password_hash IS NULL;

INSERT INTO wallets (user_id, balance)
SELECT g, 0 FROM generate_series(1, 100000) AS g
ON CONFLICT DO NOTHING;

INSERT INTO concerts (id, title, artist, venue) VALUES
    (1, 'Opening Night', 'The Boxoffice Orchestra', 'Seoul Arts Center'),
    (2, 'Summer Lights Tour', 'Neon Harbor', 'Olympic Hall'),
    (3, 'Midnight Sessions', 'Quiet Static', 'Blue Square')
ON CONFLICT DO NOTHING;

-- Dates: concert c gets ids 5*(c-1)+1 .. 5*c, a week apart, from 2027-01-10 20:00 UTC on.
INSERT INTO schedules (id, concert_id, starts_at)
SELECT 5 * (c - 1) + d, c,
       timestamptz '2027-01-10 20:00:00+00' + (c - 1) * interval '1 day' + (d - 1) * interval '7 days'
FROM generate_series(1, 3) AS c, generate_series(1, 5) AS d
ON CONFLICT DO NOTHING;

-- Seats 1-10 VIP, 11-30 R, 31-50 S (won).
INSERT INTO seats (schedule_id, seat_no, price)
SELECT sc, n, CASE WHEN n <= 10 THEN 150000 WHEN n <= 30 THEN 120000 ELSE 90000 END
FROM generate_series(1, 15) AS sc, generate_series(1, 50) AS n
ON CONFLICT DO NOTHING;

-- The arena (issue 11): concert 4 plays twice at venue 1, ten sections A..J of 20 rows x 100
-- seats (20,000 a date), A-B 150,000, C-F 120,000, G-J 90,000 won. Dates on a venue have no
-- seats rows: a seat's place and price come from its section.
INSERT INTO concerts (id, title, artist, venue) VALUES
    (4, 'Arena Night', 'The Long Weekend', 'Olympic Arena')
ON CONFLICT DO NOTHING;

INSERT INTO venues (id, name, capacity) VALUES (1, 'Olympic Arena', 20000)
ON CONFLICT DO NOTHING;

INSERT INTO venue_sections (venue_id, ord, name, rows, seats_per_row, price, first_seat_no)
SELECT 1, k, chr(ascii('A') + k), 20, 100,
       CASE WHEN k < 2 THEN 150000 WHEN k < 6 THEN 120000 ELSE 90000 END, 2000 * k + 1
FROM generate_series(0, 9) AS k
ON CONFLICT DO NOTHING;

INSERT INTO schedules (id, concert_id, starts_at, venue_id) VALUES
    (16, 4, timestamptz '2027-02-06 19:00:00+00', 1),
    (17, 4, timestamptz '2027-02-07 19:00:00+00', 1)
ON CONFLICT DO NOTHING;

SELECT setval('concerts_id_seq', greatest((SELECT max(id) FROM concerts), 1));
SELECT setval('schedules_id_seq', greatest((SELECT max(id) FROM schedules), 1));
SELECT setval('venues_id_seq', greatest((SELECT max(id) FROM venues), 1));
SELECT setval('users_id_seq', greatest((SELECT max(id) FROM users), 1));
