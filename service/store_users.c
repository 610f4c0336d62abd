/* store_users: accounts in PostgreSQL: sign-ups, users made on first use, password hashes. */
#include "store_conn.h"

#include <stdio.h>
#include <string.h>

/* A sign-up loses its id to a concurrent one at most this often before giving up. */
#define STORE_USER_CREATE_TRIES 8

/* Where store_user_password's reader copies the hash. */
struct store_text_out {
    char *buf;
    size_t len;
};

static void store_users_text_read(const PGresult *res, int row, void *out)
{
    struct store_text_out *t = out;
    store_row_scan(res, row, "t", t->buf, t->len);
}

int store_user_exists(struct store *s, uint64_t user_id)
{
    return store_exists(s, STORE_ST_USER_EXISTS, user_id, BO_E_USER_NOT_FOUND);
}

int store_user_create(struct store *s, const char *name, const char *password_hash,
                      uint64_t *user_id)
{
    int rc = BO_E_INTERNAL;

    for (int i = 0; i < STORE_USER_CREATE_TRIES; i++) {
        uint64_t id = 0;
        struct store_query q =
            STORE_QUERY(STORE_ST_USER_CREATE, store_row_u64, &id, STORE_E_NO_ROW);
        store_param_text(&q.params, name);
        store_param_text(&q.params, password_hash);
        rc = store_run_query(s, &q);
        if (rc == BO_OK) {
            *user_id = id;
            return BO_OK;
        }
        if (rc != STORE_E_NO_ROW) {
            return rc;
        }
    }
    return BO_E_UNAVAILABLE; /* a storm of sign-ups took every id tried */
}

int store_user_ensure(struct store *s, uint64_t user_id)
{
    struct store_query q = STORE_QUERY(STORE_ST_USER_ENSURE, NULL, NULL, BO_OK);

    store_param_u64(&q.params, user_id);
    return store_run_query(s, &q);
}

int store_user_password(struct store *s, uint64_t user_id, char *hash, size_t len)
{
    struct store_text_out out = {hash, len};
    struct store_query q =
        STORE_QUERY(STORE_ST_USER_PASSWORD, store_users_text_read, &out, BO_E_USER_NOT_FOUND);

    if (len > 0) {
        hash[0] = '\0';
    }
    store_param_u64(&q.params, user_id);
    return store_run_query(s, &q);
}
