/*
 * store_money: points and payments in PostgreSQL (see store.h): balances, charges, payments
 * and the idempotency keys that make a repeated charge or payment return its first result.
 *
 * Invariants are the schema's: a negative balance is refused by a CHECK, a double payment by
 * UNIQUE (reservation_id), concurrent changes of one balance wait on the wallet row lock.
 * A change is one statement or one explicit transaction.
 */
#include "store_conn.h"

#include "bo_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fingerprints are "charge:<amount>" or "payment:<reservation id>". */
#define STORE_FINGERPRINT_MAX 48

/* ---- row readers ---------------------------------------------------------- */

/* What idem_get returns. */
struct store_idem_row {
    char fingerprint[STORE_FINGERPRINT_MAX + 16];
    uint64_t result_id;
};

static void store_idem_read(const PGresult *res, int row, void *out)
{
    struct store_idem_row *r = out;
    store_row_scan(res, row, "tU", r->fingerprint, sizeof(r->fingerprint), &r->result_id);
}

/* Reads what charge returns (ledger id, balance) into a struct charge. */
static void store_charge_read(const PGresult *res, int row, void *out)
{
    struct charge *c = out;
    store_row_scan(res, row, "UI", &c->ledger_id, &c->balance);
}

/* Reads what ledger_charge_get returns (amount, balance) into a struct charge. */
static void store_ledger_charge_read(const PGresult *res, int row, void *out)
{
    struct charge *c = out;
    store_row_scan(res, row, "II", &c->amount, &c->balance);
}

/* Reads the columns of STORE_PAYMENT_SELECT (store_sql.c). */
static void store_payment_read(const PGresult *res, int row, void *out)
{
    struct payment *p = out;
    char seats[STORE_SEAT_LIST_TEXT];
    memset(p, 0, sizeof(*p));
    store_row_scan(res, row, "UUUUuIIIt", &p->id, &p->reservation_id, &p->user_id, &p->schedule_id,
                   &p->seat_no, &p->amount, &p->paid_at_ms, &p->balance_after, seats,
                   sizeof(seats));
    store_seat_list_parse(seats, &p->seats);
}

/* ---- what charges and payments share -------------------------------------- */

int store_balance_get(struct store *s, uint64_t user_id, int64_t *balance)
{
    struct store_query q =
        STORE_QUERY(STORE_ST_BALANCE_GET, store_row_i64, balance, BO_E_USER_NOT_FOUND);
    store_param_u64(&q.params, user_id);
    return store_run_query(s, &q);
}

/* Who asks, with which idempotency key, and what the key names. */
struct store_money {
    uint64_t user_id;
    const char *key;    /* NULL: none */
    uint64_t result_id; /* reserved by a new claim or naming the earlier result; 0: none */
    int replayed;       /* the answer is the earlier result */
};

/* store_money_key_check turns "" into NULL (no key) and refuses a key that is not
 * 1..IDEMPOTENCY_KEY_MAX printable ASCII characters. */
static int store_money_key_check(struct store_money *m)
{
    if (m->key == NULL || m->key[0] == '\0') {
        m->key = NULL;
        return BO_OK;
    }
    size_t len = strlen(m->key);
    if (len > IDEMPOTENCY_KEY_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < len; i++) {
        if (m->key[i] < 0x20 || m->key[i] > 0x7e) {
            return BO_E_INVALID_ARGUMENT;
        }
    }
    return BO_OK;
}

/*
 * store_money_earlier reads what m->key already names for scope, after a statement that would
 * have claimed it found it taken; fingerprint is the request's ("<scope>:<what>"). On BO_OK
 * m->replayed = 1 and m->result_id names the earlier result of the same request;
 * BO_E_IDEMPOTENCY_MISMATCH when the key was used for another request; STORE_E_RETRY when the
 * claim that took it was rolled back meanwhile (claim again).
 */
static int store_money_earlier(struct store *s, struct store_money *m, const char *scope,
                               const char *fingerprint)
{
    struct store_idem_row row;
    struct store_query q = STORE_QUERY(STORE_ST_IDEM_GET, store_idem_read, &row, STORE_E_NO_ROW);
    int rc;

    store_param_u64(&q.params, m->user_id);
    store_param_text(&q.params, scope);
    store_param_text(&q.params, m->key);
    if ((rc = store_exec_query(s, &q)) == STORE_E_NO_ROW) {
        return STORE_E_RETRY;
    }
    if (rc != BO_OK) {
        return rc;
    }
    if (strcmp(row.fingerprint, fingerprint) != 0) {
        return BO_E_IDEMPOTENCY_MISMATCH;
    }
    m->result_id = row.result_id;
    m->replayed = 1;
    return BO_OK;
}

/* store_money_replay runs q, which reads the earlier result m->result_id names (what says
 * what it is in the log); a missing row is an internal error. */
static int store_money_replay(struct store *s, const struct store_money *m, struct store_query *q,
                              const char *what)
{
    q->missing = STORE_E_NO_ROW;
    int rc = store_exec_query(s, q);
    if (rc == STORE_E_NO_ROW) {
        BO_ERR("store: idempotency key names missing %s %" PRIu64, what, m->result_id);
        return BO_E_INTERNAL;
    }
    return rc;
}

/* store_money_run checks m->key, runs op with arg and, on BO_OK, hands back whether the
 * answer replays an earlier one (replayed may be NULL). */
static int store_money_run(struct store *s, store_op op, void *arg, struct store_money *m,
                           int *replayed)
{
    if (store_money_key_check(m) != BO_OK) {
        return BO_E_INVALID_ARGUMENT;
    }
    int rc = store_run(s, op, arg);
    if (rc == BO_OK && replayed != NULL) {
        *replayed = m->replayed;
    }
    return rc;
}

/* ---- charges -------------------------------------------------------------- */

struct store_charge_arg {
    struct store_money m;
    int64_t amount;
    struct charge out;
};

static int store_op_charge(struct store *s, void *arg)
{
    struct store_charge_arg *a = arg;
    struct store_query q = STORE_QUERY(STORE_ST_CHARGE, store_charge_read, &a->out, STORE_E_NO_ROW);
    char fingerprint[STORE_FINGERPRINT_MAX];
    int rc;

    /* One statement either way, so one round trip: with a key it claims the key too, and
     * answers nothing when the key was taken already. */
    a->out = (struct charge){.user_id = a->m.user_id, .amount = a->amount};
    a->m.replayed = 0;
    store_param_u64(&q.params, a->m.user_id);
    store_param_i64(&q.params, a->amount);
    if (a->m.key != NULL) {
        snprintf(fingerprint, sizeof(fingerprint), "charge:%" PRId64, a->amount);
        q.stmt = STORE_ST_CHARGE_KEYED;
        store_param_text(&q.params, a->m.key);
        store_param_text(&q.params, fingerprint);
    }
    rc = store_exec_query(s, &q);
    if (rc == STORE_E_NO_ROW && a->m.key != NULL) {
        if ((rc = store_money_earlier(s, &a->m, "charge", fingerprint)) != BO_OK) {
            return rc;
        }
        q = (struct store_query)STORE_QUERY(STORE_ST_LEDGER_CHARGE_GET, store_ledger_charge_read,
                                            &a->out, STORE_E_NO_ROW);
        store_param_u64(&q.params, a->m.result_id);
        store_param_u64(&q.params, a->m.user_id);
        a->out.ledger_id = a->m.result_id;
        return store_money_replay(s, &a->m, &q, "ledger row");
    }
    if (rc == STORE_E_NO_ROW) {
        BO_ERR("store: charge returned no row");
        return BO_E_INTERNAL;
    }
    return rc;
}

int store_points_charge(struct store *s, uint64_t user_id, int64_t amount, const char *idem_key,
                        struct charge *out, int *replayed)
{
    if (amount < 1 || amount > POINTS_CHARGE_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    struct store_charge_arg a = {.m = {.user_id = user_id, .key = idem_key}, .amount = amount};
    int rc = store_money_run(s, store_op_charge, &a, &a.m, replayed);
    if (rc == BO_OK) {
        *out = a.out;
    }
    return rc;
}

/* ---- payments ------------------------------------------------------------- */

struct store_payment_arg {
    struct store_money m;
    uint64_t concert_id; /* the concert of the payer's queue token */
    uint64_t reservation_id;
    struct payment out;
};

/* store_payment_of_query sets q to read into out the payment of reservation_id made by
 * user_id; missing when there is none. */
static void store_payment_of_query(struct store_query *q, uint64_t user_id, uint64_t reservation_id,
                                   struct payment *out, int missing)
{
    *q = (struct store_query)STORE_QUERY(STORE_ST_PAYMENT_BY_RESERVATION, store_payment_read, out,
                                         missing);
    store_param_u64(&q->params, reservation_id);
    store_param_u64(&q->params, user_id);
}

/* One answer of bo_pay_in_concert (db/migrations/003_pay_function.sql and
 * 004_pay_in_concert.sql): its outcome's name and, when "OK", the payment. */
struct store_pay_answer {
    char code[32];
    int replayed;
    struct payment p;
};

static void store_pay_answer_read(const PGresult *res, int row, void *out)
{
    struct store_pay_answer *a = out;
    memset(a, 0, sizeof(*a));
    char seats[STORE_SEAT_LIST_TEXT];
    store_row_scan(res, row, "tbUUUUuIIIt", a->code, sizeof(a->code), &a->replayed, &a->p.id,
                   &a->p.reservation_id, &a->p.user_id, &a->p.schedule_id, &a->p.seat_no,
                   &a->p.amount, &a->p.paid_at_ms, &a->p.balance_after, seats, sizeof(seats));
    store_seat_list_parse(seats, &a->p.seats);
}

/* store_op_payment makes the payment in one statement, one round trip: bo_pay_in_concert
 * checks, locks, claims the key and pays, all in the statement's own transaction. */
static int store_op_payment(struct store *s, void *arg)
{
    struct store_payment_arg *a = arg;
    struct store_pay_answer ans;
    char fingerprint[STORE_FINGERPRINT_MAX];
    struct store_query q =
        STORE_QUERY(STORE_ST_PAY_CALL, store_pay_answer_read, &ans, STORE_E_NO_ROW);
    int rc;

    snprintf(fingerprint, sizeof(fingerprint), "payment:%" PRIu64, a->reservation_id);
    store_param_u64(&q.params, a->m.user_id);
    store_param_u64(&q.params, a->concert_id);
    store_param_u64(&q.params, a->reservation_id);
    store_param_text(&q.params, a->m.key); /* NULL: no key */
    store_param_text(&q.params, fingerprint);
    if ((rc = store_exec_query(s, &q)) == STORE_E_NO_ROW) {
        BO_ERR("store: bo_pay_in_concert answered nothing");
        return BO_E_INTERNAL;
    }
    if (rc != BO_OK) {
        return rc;
    }
    if (strcmp(ans.code, "RETRY") == 0) {
        return STORE_E_RETRY; /* the key was claimed meanwhile: look again */
    }
    if (strcmp(ans.code, "OK") != 0) {
        rc = bo_error_from_name(ans.code, BO_RPC_INTERNAL);
        return rc == BO_OK ? BO_E_INTERNAL : rc;
    }
    a->out = ans.p;
    a->m.replayed = ans.replayed;
    return BO_OK;
}

int store_payment_make(struct store *s, uint64_t user_id, uint64_t concert_id,
                       uint64_t reservation_id, const char *idem_key, struct payment *out,
                       int *replayed)
{
    struct store_payment_arg a = {.m = {.user_id = user_id, .key = idem_key},
                                  .concert_id = concert_id,
                                  .reservation_id = reservation_id};
    int rc = store_money_run(s, store_op_payment, &a, &a.m, replayed);
    if (rc == BO_OK) {
        *out = a.out;
    }
    return rc;
}

int store_payment_find(struct store *s, uint64_t user_id, uint64_t reservation_id,
                       struct payment *out)
{
    struct store_query q;
    store_payment_of_query(&q, user_id, reservation_id, out, BO_E_NOT_FOUND);
    return store_run_query(s, &q);
}

/* What one sweep is asked to do and what it did. */
struct store_idem_sweep_op {
    int64_t keep_seconds, limit;
    size_t deleted;
};

static int store_op_idem_sweep(struct store *s, void *arg)
{
    struct store_idem_sweep_op *op = arg;
    struct store_params p = {0};
    PGresult *res;
    int rc;

    store_param_i64(&p, op->keep_seconds);
    store_param_i64(&p, op->limit);
    if ((rc = store_exec(s, STORE_ST_IDEM_SWEEP, &p, &res)) != BO_OK) {
        return rc;
    }
    op->deleted = (size_t)strtoull(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return BO_OK;
}

int store_idem_sweep(struct store *s, int64_t keep_seconds, int64_t limit, size_t *n)
{
    struct store_idem_sweep_op op = {keep_seconds, limit, 0};
    int rc;

    if (keep_seconds < 0 || limit <= 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    if ((rc = store_run(s, store_op_idem_sweep, &op)) == BO_OK) {
        *n = op.deleted;
    }
    return rc;
}
