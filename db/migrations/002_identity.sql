-- 002_identity: accounts with passwords, ids for sign-ups, and when a concert's sale opens.
--
-- A user signed up through the API gets the next id of users_id_seq (the seed and users
-- created just in time from an operator identity token pick their own ids; the insert takes
-- the larger of the sequence and max(id) + 1, so the two never collide). password_hash is an
-- Argon2id string (libsodium's crypto_pwhash_str), NULL for users who cannot log in with a
-- password (created from an operator identity token).

ALTER TABLE users ADD COLUMN password_hash text
    CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%');
ALTER TABLE users ADD CONSTRAINT users_name_length CHECK (length(name) <= 64);

CREATE SEQUENCE users_id_seq AS bigint;

-- Everyone who joins the line before sale_opens_at is placed in a random order at that
-- instant; NULL: the sale is open.
ALTER TABLE concerts ADD COLUMN sale_opens_at timestamptz;
