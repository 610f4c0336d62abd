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
#include <string.h>

/* Fingerprints are "charge:<amount>" or "payment:<reservation id>". */
#define STORE_FINGERPRINT_MAX 48

/* ---- row readers ---------------------------------------------------------- */

/* What idem_get returns. */
struct store_idem_row {
    char fingerprint[STORE_FINGERPRINT_MAX + 16];
    uint64_t result_id;
};

/* What reservation_lock returns. */
struct store_lock_row {
    uint64_t owner;
    int status; /* enum reservation_status as stored */
    int expired;
    int64_t price;
    uint64_t schedule_id;
    uint32_t seat_no;
};

/* What pay returns; confirmed counts the reservations it confirmed. */
struct store_pay_row {
    uint64_t id;
    int64_t paid_at_ms;
    int64_t balance_after;
    int64_t confirmed;
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

static void store_lock_read(const PGresult *res, int row, void *out)
{
    struct store_lock_row *l = out;
    store_row_scan(res, row, "UrbIUu", &l->owner, &l->status, &l->expired, &l->price,
                   &l->schedule_id, &l->seat_no);
}

static void store_pay_read(const PGresult *res, int row, void *out)
{
    struct store_pay_row *p = out;
    store_row_scan(res, row, "UIII", &p->id, &p->paid_at_ms, &p->balance_after, &p->confirmed);
}

/* Reads the columns of STORE_PAYMENT_SELECT (store_sql.c). */
static void store_payment_read(const PGresult *res, int row, void *out)
{
    struct payment *p = out;
    memset(p, 0, sizeof(*p));
    store_row_scan(res, row, "UUUUuIII", &p->id, &p->reservation_id, &p->user_id, &p->schedule_id,
                   &p->seat_no, &p->amount, &p->paid_at_ms, &p->balance_after);
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
 * store_money_claim claims m->key, when there is one, for scope inside the open transaction,
 * the request fingerprinted "<scope>:<what>". On BO_OK either m->replayed = 0 and
 * m->result_id is the id reserved for the new result (0 without a key), or m->replayed = 1
 * and m->result_id names the earlier result of the same request; BO_E_IDEMPOTENCY_MISMATCH
 * when the key was used for another request.
 */
static int store_money_claim(struct store *s, struct store_money *m, const char *scope,
                             uint64_t what)
{
    char fingerprint[STORE_FINGERPRINT_MAX];
    struct store_query q =
        STORE_QUERY(STORE_ST_IDEM_CLAIM, store_row_u64, &m->result_id, STORE_E_NO_ROW);
    m->result_id = 0;
    m->replayed = 0;
    if (m->key == NULL) {
        return BO_OK;
    }
    snprintf(fingerprint, sizeof(fingerprint), "%s:%" PRIu64, scope, what);
    store_param_u64(&q.params, m->user_id);
    store_param_text(&q.params, scope);
    store_param_text(&q.params, m->key);
    store_param_text(&q.params, fingerprint);
    int rc = store_exec_query(s, &q);
    if (rc != STORE_E_NO_ROW) {
        return rc;
    }
    /* Taken: read it with the same first three parameters. */
    struct store_idem_row row;
    q.stmt = STORE_ST_IDEM_GET;
    q.params.n = 3;
    q.read = store_idem_read;
    q.out = &row;
    if ((rc = store_exec_query(s, &q)) == STORE_E_NO_ROW) {
        /* The conflicting row vanished (its transaction rolled back): claim again. */
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
    int rc;

    a->out = (struct charge){.user_id = a->m.user_id, .amount = a->amount};
    /* Without a key the charge is one statement; with one, a transaction with the claim. */
    if (a->m.key != NULL && (rc = store_begin(s)) != BO_OK) {
        return rc;
    }
    if ((rc = store_money_claim(s, &a->m, "charge", (uint64_t)a->amount)) != BO_OK) {
        return rc;
    }
    if (a->m.replayed) {
        q.stmt = STORE_ST_LEDGER_CHARGE_GET;
        q.read = store_ledger_charge_read;
        store_param_u64(&q.params, a->m.result_id);
        store_param_u64(&q.params, a->m.user_id);
        a->out.ledger_id = a->m.result_id;
        return store_money_replay(s, &a->m, &q, "ledger row");
    }
    store_param_u64(&q.params, a->m.user_id);
    store_param_i64(&q.params, a->amount);
    store_param_id(&q.params, a->m.result_id);
    if ((rc = store_exec_query(s, &q)) == STORE_E_NO_ROW) {
        BO_ERR("store: charge returned no row");
        return BO_E_INTERNAL;
    }
    if (rc != BO_OK) {
        return rc;
    }
    return s->in_tx ? store_commit(s) : BO_OK;
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

/* store_payment_replay reads the earlier payment: the one the key named, or without a key
 * the reservation's by its user (BO_E_RESERVATION_NOT_HELD when there is none). */
static int store_payment_replay(struct store *s, struct store_payment_arg *a)
{
    struct store_query q =
        STORE_QUERY(STORE_ST_PAYMENT_BY_ID, store_payment_read, &a->out, STORE_E_NO_ROW);
    a->m.replayed = 1;
    if (a->m.key == NULL) {
        store_payment_of_query(&q, a->m.user_id, a->reservation_id, &a->out,
                               BO_E_RESERVATION_NOT_HELD);
        return store_exec_query(s, &q);
    }
    store_param_u64(&q.params, a->m.result_id);
    return store_money_replay(s, &a->m, &q, "payment");
}

/* store_payment_expire drops the claimed key with the transaction, then ends the hold for
 * good: the payer learns BO_E_HOLD_EXPIRED. */
static int store_payment_expire(struct store *s, uint64_t reservation_id)
{
    struct store_query q = STORE_QUERY(STORE_ST_RESERVATION_EXPIRE, NULL, NULL, BO_OK);
    store_rollback(s);
    store_param_u64(&q.params, reservation_id);
    int rc = store_exec_query(s, &q);
    return rc != BO_OK ? rc : BO_E_HOLD_EXPIRED;
}

/* store_payment_pay runs pay for the locked reservation, fills a->out and commits. */
static int store_payment_pay(struct store *s, struct store_payment_arg *a,
                             const struct store_lock_row *lock)
{
    struct store_pay_row row;
    struct store_query q =
        STORE_QUERY(STORE_ST_PAY, store_pay_read, &row, BO_E_INSUFFICIENT_POINTS);
    store_param_u64(&q.params, a->m.user_id);
    store_param_u64(&q.params, a->reservation_id);
    store_param_i64(&q.params, lock->price);
    store_param_id(&q.params, a->m.result_id);
    int rc = store_exec_query(s, &q);
    if (rc != BO_OK) {
        return rc;
    }
    if (row.confirmed != 1) {
        BO_ERR("store: payment of reservation %" PRIu64 " confirmed no row", a->reservation_id);
        return BO_E_INTERNAL;
    }
    a->out = (struct payment){.id = row.id,
                              .reservation_id = a->reservation_id,
                              .user_id = a->m.user_id,
                              .schedule_id = lock->schedule_id,
                              .seat_no = lock->seat_no,
                              .amount = lock->price,
                              .paid_at_ms = row.paid_at_ms,
                              .balance_after = row.balance_after};
    return store_commit(s);
}

static int store_op_payment(struct store *s, void *arg)
{
    struct store_payment_arg *a = arg;
    struct store_lock_row lock;
    struct store_query q =
        STORE_QUERY(STORE_ST_RESERVATION_LOCK, store_lock_read, &lock, BO_E_RESERVATION_NOT_FOUND);
    int rc;

    if ((rc = store_begin(s)) != BO_OK) {
        return rc;
    }
    /* The row lock serializes every payment (and release) of this reservation. */
    store_param_u64(&q.params, a->reservation_id);
    if ((rc = store_exec_query(s, &q)) != BO_OK) {
        return rc;
    }
    if (lock.owner != a->m.user_id) {
        return BO_E_NOT_OWNER;
    }
    if ((rc = store_money_claim(s, &a->m, "payment", a->reservation_id)) != BO_OK) {
        return rc;
    }
    if (a->m.replayed) {
        return store_payment_replay(s, a);
    }
    if (lock.status != RESERVATION_HELD) {
        if (lock.status == RESERVATION_CONFIRMED && a->m.key == NULL) {
            return store_payment_replay(s, a);
        }
        /* The sweeper marks ended holds within a tick: a late payer still learns why. */
        return lock.status == RESERVATION_EXPIRED ? BO_E_HOLD_EXPIRED : BO_E_RESERVATION_NOT_HELD;
    }
    if (lock.expired) {
        return store_payment_expire(s, a->reservation_id);
    }
    return store_payment_pay(s, a, &lock);
}

int store_payment_make(struct store *s, uint64_t user_id, uint64_t reservation_id,
                       const char *idem_key, struct payment *out, int *replayed)
{
    struct store_payment_arg a = {.m = {.user_id = user_id, .key = idem_key},
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
