-- 001_schema: the durable truth of boxoffice.
--
-- The invariants live here, not in C: a balance never goes negative or past its
-- cap (CHECKs), a seat has at most one live reservation and a user at most one
-- hold per date (partial unique indexes), a reservation is paid once (UNIQUE),
-- and every ledger row says what it did. Applied by store_migrate in one
-- transaction; schema_migrations itself is created by store_migrate.

CREATE TABLE users (
    id         bigint PRIMARY KEY CHECK (id > 0),
    name       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE wallets (
    user_id    bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    balance    bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT wallets_balance_nonnegative CHECK (balance >= 0),
    CONSTRAINT wallets_balance_max CHECK (balance <= 1000000000000)
);

CREATE TABLE concerts (
    id         bigserial PRIMARY KEY,
    title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 127),
    artist     text NOT NULL DEFAULT '' CHECK (length(artist) <= 127),
    venue      text NOT NULL DEFAULT '' CHECK (length(venue) <= 127),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE schedules (
    id         bigserial PRIMARY KEY,
    concert_id bigint NOT NULL REFERENCES concerts (id),
    starts_at  timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX schedules_concert_idx ON schedules (concert_id, starts_at);

CREATE TABLE seats (
    schedule_id bigint NOT NULL REFERENCES schedules (id),
    seat_no     integer NOT NULL CHECK (seat_no BETWEEN 1 AND 50),
    price       bigint NOT NULL CHECK (price >= 0),
    PRIMARY KEY (schedule_id, seat_no)
);

CREATE TABLE reservations (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id),
    schedule_id  bigint NOT NULL,
    seat_no      integer NOT NULL,
    price        bigint NOT NULL CHECK (price >= 0),
    status       text NOT NULL CHECK (status IN ('HELD', 'CONFIRMED', 'CANCELLED', 'EXPIRED')),
    held_at      timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    confirmed_at timestamptz,
    cancelled_at timestamptz,
    CONSTRAINT reservations_seat_fkey FOREIGN KEY (schedule_id, seat_no)
        REFERENCES seats (schedule_id, seat_no),
    CONSTRAINT reservations_confirmed_at CHECK (status <> 'CONFIRMED' OR confirmed_at IS NOT NULL)
);

-- Invariant 1: at most one live (held or sold) reservation per seat. Races between
-- holds on one seat, from any number of instances, are decided by this index.
CREATE UNIQUE INDEX reservations_live_seat_uidx ON reservations (schedule_id, seat_no)
    WHERE status IN ('HELD', 'CONFIRMED');

-- One hold per user per date: a user cannot sit on several seats of one date unpaid.
CREATE UNIQUE INDEX reservations_user_hold_uidx ON reservations (user_id, schedule_id)
    WHERE status = 'HELD';

-- The sweeper looks only at holds, by expiry.
CREATE INDEX reservations_held_expiry_idx ON reservations (expires_at) WHERE status = 'HELD';
CREATE INDEX reservations_user_idx ON reservations (user_id, id);

CREATE TABLE payments (
    id             bigserial PRIMARY KEY,
    reservation_id bigint NOT NULL REFERENCES reservations (id),
    user_id        bigint NOT NULL REFERENCES users (id),
    amount         bigint NOT NULL CHECK (amount >= 0),
    status         text NOT NULL DEFAULT 'COMPLETED' CHECK (status = 'COMPLETED'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payments_reservation_key UNIQUE (reservation_id)
);

CREATE INDEX payments_user_idx ON payments (user_id, id);

-- Invariant 3: every balance change writes exactly one row here in the same
-- transaction, so sum(delta) per user equals the wallet's balance.
CREATE TABLE point_ledger (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id),
    delta         bigint NOT NULL CHECK (delta <> 0),
    balance_after bigint NOT NULL CHECK (balance_after >= 0),
    kind          text NOT NULL CHECK (kind IN ('CHARGE', 'PAYMENT')),
    payment_id    bigint REFERENCES payments (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT point_ledger_kind_sign CHECK ((kind = 'CHARGE' AND delta > 0 AND payment_id IS NULL)
                                             OR (kind = 'PAYMENT' AND delta < 0
                                                 AND payment_id IS NOT NULL))
);

CREATE INDEX point_ledger_user_idx ON point_ledger (user_id, id);

-- A retried request with the same key returns result_id's result and does nothing twice.
CREATE TABLE idempotency_keys (
    user_id             bigint NOT NULL REFERENCES users (id),
    scope               text NOT NULL CHECK (scope IN ('charge', 'payment')),
    key                 text NOT NULL CHECK (length(key) BETWEEN 1 AND 128),
    request_fingerprint text NOT NULL,
    result_id           bigint NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, scope, key)
);
