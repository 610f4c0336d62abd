/*
 * store_holds: seat holds in PostgreSQL (see store.h): taking, releasing, reading and
 * sweeping reservations that are not yet paid.
 *
 * A seat race is decided by the partial unique index on live seats, one hold per user and
 * date by another, never by a read here. A hold past its expiry reads as EXPIRED even
 * before the sweeper has marked it.
 */
#include "store_conn.h"

#include <stdlib.h>
#include <string.h>

/* Reads STORE_RESERVATION_COLS (store_sql.c) starting at column 0. */
static void store_reservation_read(const PGresult *res, int row, void *out)
{
    struct reservation *r = out;
    memset(r, 0, sizeof(*r));
    store_row_scan(res, row, "UUUUuIrII", &r->id, &r->user_id, &r->concert_id, &r->schedule_id,
                   &r->seat_no, &r->price, &r->status, &r->held_at_ms, &r->expires_at_ms);
}

int store_hold_insert(struct store *s, uint64_t user_id, uint64_t schedule_id, uint32_t seat_no,
                      int64_t hold_ms, struct reservation *out)
{
    if (hold_ms <= 0 || hold_ms > 24LL * 3600 * 1000) {
        return BO_E_INVALID_ARGUMENT;
    }
    int rc = STORE_E_NO_ROW;
    if (seat_no >= 1 && seat_no <= SEATS_PER_SCHEDULE) {
        struct store_query q =
            STORE_QUERY(STORE_ST_HOLD_INSERT, store_reservation_read, out, STORE_E_NO_ROW);
        store_param_u64(&q.params, user_id);
        store_param_u64(&q.params, schedule_id);
        store_param_u64(&q.params, seat_no);
        store_param_i64(&q.params, hold_ms);
        rc = store_run_query(s, &q);
    }
    if (rc != STORE_E_NO_ROW) {
        return rc;
    }
    /* No seat row matched (or the number is out of range): tell an unknown date first, as
     * the caller would expect, from an unknown seat number. */
    rc = store_exists(s, STORE_ST_SCHEDULE_EXISTS, schedule_id, BO_E_SCHEDULE_NOT_FOUND);
    return rc == BO_OK ? BO_E_SEAT_NOT_FOUND : rc;
}

int store_hold_release(struct store *s, uint64_t user_id, uint64_t concert_id,
                       uint64_t reservation_id, struct hold *out)
{
    struct reservation rows[HOLD_SEATS_MAX];
    struct store_query q = STORE_LIST(STORE_ST_HOLD_RELEASE, store_reservation_read,
                                      struct reservation, rows, HOLD_SEATS_MAX, STORE_E_NO_ROW);
    store_param_u64(&q.params, reservation_id);
    store_param_u64(&q.params, user_id);
    store_param_u64(&q.params, concert_id);
    int rc = store_run_query(s, &q);
    if (rc == BO_OK) {
        /* The hold's own row comes first, then its other seats. */
        memset(out, 0, sizeof(*out));
        out->r = rows[0];
        out->r.price = 0;
        for (size_t i = 0; i < q.n; i++) {
            out->seats.seat_nos[i] = rows[i].seat_no;
            out->seats.prices[i] = rows[i].price;
            out->r.price += rows[i].price;
        }
        out->seats.n = q.n;
        return BO_OK;
    }
    if (rc != STORE_E_NO_ROW) {
        return rc;
    }
    /* Nothing cancelled: read the row to say why. */
    struct reservation r;
    if ((rc = store_reservation_get(s, reservation_id, &r)) != BO_OK) {
        return rc;
    }
    if (r.user_id != user_id) {
        return BO_E_NOT_OWNER;
    }
    if (r.concert_id != concert_id) {
        return BO_E_WRONG_CONCERT;
    }
    return r.status == RESERVATION_EXPIRED ? BO_E_HOLD_EXPIRED : BO_E_RESERVATION_NOT_HELD;
}

int store_reservation_get(struct store *s, uint64_t reservation_id, struct reservation *out)
{
    struct store_query q = STORE_QUERY(STORE_ST_RESERVATION_GET, store_reservation_read, out,
                                       BO_E_RESERVATION_NOT_FOUND);
    store_param_u64(&q.params, reservation_id);
    return store_run_query(s, &q);
}

static int store_op_holds_expire(struct store *s, void *arg)
{
    PGresult *res;
    int rc = store_exec(s, STORE_ST_HOLDS_EXPIRE, NULL, &res);
    if (rc != BO_OK) {
        return rc;
    }
    *(size_t *)arg = (size_t)strtoull(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return BO_OK;
}

int store_holds_expire(struct store *s, size_t *n)
{
    size_t count = 0;
    int rc = store_run(s, store_op_holds_expire, &count);
    if (rc == BO_OK) {
        *n = count;
    }
    return rc;
}
