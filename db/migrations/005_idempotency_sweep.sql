-- 005: idempotency keys expire (issue 10). The admission leader deletes the keys older than
-- --idempotency-keep-seconds (24 h by default) a batch at a time; this index lets it find the
-- oldest without reading the rest.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
