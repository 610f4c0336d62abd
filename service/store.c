/*
 * store: every PostgreSQL statement of the service (see store.h).
 *
 * Layers, low to high: the statement table and its lazy preparation, error
 * translation (SQLSTATE -> BO_E_*), the runner that resets a lost connection
 * and retries serialization failures, then one operation per public function.
 *
 * Invariants are enforced by the schema (db/migrations), not by reads here:
 * a seat race is decided by the partial unique index, a negative balance by a
 * CHECK, a double payment by UNIQUE (reservation_id). Every operation that
 * writes either is one statement or one explicit transaction.
 */
#include "store.h"

#include "bo_error.h"
#include "bo_log.h"

#include <libpq-fe.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Private result codes that never leave this file: the runner maps them. */
#define STORE_E_RETRY       (BO_E_COUNT_ + 1) /* serialization failure or deadlock */
#define STORE_E_LOST        (BO_E_COUNT_ + 2) /* connection lost, nothing applied */
#define STORE_E_LOST_UNSAFE (BO_E_COUNT_ + 3) /* connection lost, a write may have applied */

#define STORE_TX_ATTEMPTS 5
#define STORE_MAX_PARAMS  8
/* Any constant shared by every instance; only migrations take it. */
#define STORE_MIGRATE_LOCK_KEY "7236051123"

struct store {
    PGconn *conn;
    uint64_t prepared; /* bit i set: statement i is prepared on this connection */
    int in_tx;         /* an explicit transaction is open */
};

/* ---- statements ----------------------------------------------------------- */

enum stmt_id {
    ST_USER_EXISTS,
    ST_CONCERT_EXISTS,
    ST_SCHEDULE_EXISTS,
    ST_CONCERTS_LIST,
    ST_SCHEDULES_LIST,
    ST_SCHEDULE_GET,
    ST_SEATS_LIST,
    ST_HOLD_INSERT,
    ST_HOLD_RELEASE,
    ST_RESERVATION_GET,
    ST_RESERVATION_LOCK,
    ST_RESERVATION_EXPIRE,
    ST_HOLDS_EXPIRE,
    ST_BALANCE_GET,
    ST_CHARGE,
    ST_LEDGER_CHARGE_GET,
    ST_IDEM_CLAIM,
    ST_IDEM_GET,
    ST_PAY,
    ST_PAYMENT_BY_ID,
    ST_PAYMENT_BY_RESERVATION,
    ST_CONCERT_CREATE,
    ST_SCHEDULE_CREATE,
    ST_COUNT_
};

struct stmt {
    const char *name;
    const char *sql;
    int write; /* changes data: a lost connection leaves the outcome unknown */
};

/* Columns of a reservation, in the order reservation_from_row reads them. A hold past its
 * expiry reads as EXPIRED even before the sweeper has marked it. */
#define RESERVATION_COLS                                                                           \
    "r.id, r.user_id, sc.concert_id, r.schedule_id, r.seat_no, r.price, "                          \
    "CASE WHEN r.status = 'HELD' AND r.expires_at <= now() THEN 'EXPIRED' ELSE r.status END, "     \
    "floor(extract(epoch FROM r.held_at) * 1000)::bigint, "                                        \
    "floor(extract(epoch FROM r.expires_at) * 1000)::bigint"

/* Seat counts of a date: a seat is taken when sold or held by an unexpired hold. */
#define SCHEDULE_SELECT                                                                            \
    "SELECT sc.id, sc.concert_id, floor(extract(epoch FROM sc.starts_at) * 1000)::bigint, "        \
    "count(*) FILTER (WHERE r.id IS NULL), count(*) "                                              \
    "FROM schedules sc JOIN seats s ON s.schedule_id = sc.id "                                     \
    "LEFT JOIN reservations r ON r.schedule_id = s.schedule_id AND r.seat_no = s.seat_no "         \
    "AND (r.status = 'CONFIRMED' OR (r.status = 'HELD' AND r.expires_at > now())) "

#define PAYMENT_SELECT                                                                             \
    "SELECT p.id, p.reservation_id, p.user_id, r.schedule_id, r.seat_no, p.amount, "               \
    "floor(extract(epoch FROM p.created_at) * 1000)::bigint, "                                     \
    "coalesce(l.balance_after, w.balance, 0) "                                                     \
    "FROM payments p JOIN reservations r ON r.id = p.reservation_id "                              \
    "LEFT JOIN point_ledger l ON l.payment_id = p.id "                                             \
    "LEFT JOIN wallets w ON w.user_id = p.user_id "

static const struct stmt stmts[ST_COUNT_] = {
    [ST_USER_EXISTS] = {"user_exists", "SELECT 1 FROM users WHERE id = $1::bigint", 0},
    [ST_CONCERT_EXISTS] = {"concert_exists", "SELECT 1 FROM concerts WHERE id = $1::bigint", 0},
    [ST_SCHEDULE_EXISTS] = {"schedule_exists", "SELECT 1 FROM schedules WHERE id = $1::bigint", 0},
    [ST_CONCERTS_LIST] = {"concerts_list",
                          "SELECT c.id, c.title, c.artist, c.venue, "
                          "(SELECT count(*) FROM schedules sc WHERE sc.concert_id = c.id) "
                          "FROM concerts c ORDER BY c.id",
                          0},
    [ST_SCHEDULES_LIST] = {"schedules_list",
                           SCHEDULE_SELECT "WHERE sc.concert_id = $1::bigint GROUP BY sc.id "
                                           "HAVING count(*) FILTER (WHERE r.id IS NULL) > 0 "
                                           "ORDER BY sc.starts_at, sc.id",
                           0},
    [ST_SCHEDULE_GET] = {"schedule_get", SCHEDULE_SELECT "WHERE sc.id = $1::bigint GROUP BY sc.id",
                         0},
    /* One SELECT: the live-seat partial index makes the join cheap. */
    [ST_SEATS_LIST] = {"seats_list",
                       "SELECT s.seat_no, s.price, "
                       "CASE WHEN r.status = 'CONFIRMED' THEN 3 "
                       "WHEN r.status = 'HELD' AND r.expires_at > now() THEN 2 ELSE 1 END "
                       "FROM seats s LEFT JOIN reservations r ON r.schedule_id = s.schedule_id "
                       "AND r.seat_no = s.seat_no AND r.status IN ('HELD', 'CONFIRMED') "
                       "WHERE s.schedule_id = $1::bigint ORDER BY s.seat_no",
                       0},
    /*
     * One statement, hence one transaction and one round trip: first end the expired holds
     * on this seat and of this user on this date, then insert. The scalar subquery over
     * "ended" is a one-time filter, so the UPDATE has run before the INSERT checks the
     * unique indexes, which then see the old rows as deleted by this transaction. Races
     * are decided by the indexes (23505), never by a read here.
     */
    [ST_HOLD_INSERT] = {"hold_insert",
                        "WITH ended AS (UPDATE reservations SET status = 'EXPIRED' "
                        "WHERE status = 'HELD' AND expires_at <= now() "
                        "AND schedule_id = $2::bigint "
                        "AND (seat_no = $3::int OR user_id = $1::bigint) RETURNING id), "
                        "ins AS (INSERT INTO reservations "
                        "(user_id, schedule_id, seat_no, price, status, held_at, expires_at) "
                        "SELECT $1::bigint, s.schedule_id, s.seat_no, s.price, 'HELD', now(), "
                        "now() + $4::bigint * interval '1 millisecond' FROM seats s "
                        "WHERE s.schedule_id = $2::bigint AND s.seat_no = $3::int "
                        "AND (SELECT count(*) FROM ended) >= 0 RETURNING *) "
                        "SELECT r.id, r.user_id, sc.concert_id, r.schedule_id, r.seat_no, r.price, "
                        "r.status, floor(extract(epoch FROM r.held_at) * 1000)::bigint, "
                        "floor(extract(epoch FROM r.expires_at) * 1000)::bigint "
                        "FROM ins r JOIN schedules sc ON sc.id = r.schedule_id",
                        1},
    [ST_HOLD_RELEASE] = {"hold_release",
                         "WITH u AS (UPDATE reservations SET status = 'CANCELLED', "
                         "cancelled_at = now() WHERE id = $1::bigint AND user_id = $2::bigint "
                         "AND status = 'HELD' AND expires_at > now() RETURNING *) "
                         "SELECT " RESERVATION_COLS " FROM u r "
                         "JOIN schedules sc ON sc.id = r.schedule_id",
                         1},
    [ST_RESERVATION_GET] = {"reservation_get",
                            "SELECT " RESERVATION_COLS " FROM reservations r "
                            "JOIN schedules sc ON sc.id = r.schedule_id WHERE r.id = $1::bigint",
                            0},
    [ST_RESERVATION_LOCK] = {"reservation_lock",
                             "SELECT r.user_id, r.status, r.expires_at <= now(), r.price, "
                             "r.schedule_id, r.seat_no "
                             "FROM reservations r WHERE r.id = $1::bigint FOR UPDATE",
                             0},
    [ST_RESERVATION_EXPIRE] = {"reservation_expire",
                               "UPDATE reservations SET status = 'EXPIRED' WHERE id = $1::bigint "
                               "AND status = 'HELD' AND expires_at <= now()",
                               1},
    [ST_HOLDS_EXPIRE] = {"holds_expire",
                         "UPDATE reservations SET status = 'EXPIRED' "
                         "WHERE status = 'HELD' AND expires_at <= now()",
                         1},
    [ST_BALANCE_GET] = {"balance_get",
                        "SELECT coalesce(w.balance, 0) FROM users u "
                        "LEFT JOIN wallets w ON w.user_id = u.id WHERE u.id = $1::bigint",
                        0},
    /* The wallet row lock serializes concurrent changes of one balance; the CHECKs on
     * wallets turn an overflow into 23514. $3 is the ledger id reserved by an
     * idempotency key, or NULL. */
    [ST_CHARGE] = {"charge",
                   "WITH w AS (INSERT INTO wallets (user_id, balance) "
                   "VALUES ($1::bigint, $2::bigint) ON CONFLICT (user_id) DO UPDATE "
                   "SET balance = wallets.balance + EXCLUDED.balance, updated_at = now() "
                   "RETURNING balance), "
                   "l AS (INSERT INTO point_ledger (id, user_id, delta, balance_after, kind) "
                   "SELECT coalesce($3::bigint, nextval('point_ledger_id_seq')), $1::bigint, "
                   "$2::bigint, w.balance, 'CHARGE' FROM w RETURNING id) "
                   "SELECT l.id, w.balance FROM w, l",
                   1},
    [ST_LEDGER_CHARGE_GET] = {"ledger_charge_get",
                              "SELECT delta, balance_after FROM point_ledger "
                              "WHERE id = $1::bigint AND user_id = $2::bigint AND kind = 'CHARGE'",
                              0},
    /* Claims a key and reserves the id of the result it will name. A concurrent claim of
     * the same key waits here on the primary key until the first transaction ends. */
    [ST_IDEM_CLAIM] = {"idem_claim",
                       "INSERT INTO idempotency_keys "
                       "(user_id, scope, key, request_fingerprint, result_id) "
                       "VALUES ($1::bigint, $2::text, $3::text, $4::text, "
                       "CASE WHEN $2::text = 'charge' THEN nextval('point_ledger_id_seq') "
                       "ELSE nextval('payments_id_seq') END) "
                       "ON CONFLICT DO NOTHING RETURNING result_id",
                       1},
    [ST_IDEM_GET] = {"idem_get",
                     "SELECT request_fingerprint, result_id FROM idempotency_keys "
                     "WHERE user_id = $1::bigint AND scope = $2::text AND key = $3::text",
                     0},
    /* Everything of a payment after the checks, in one statement: debit (never below zero),
     * payment row, ledger row (none for a free seat: a ledger row records a change), and
     * the reservation confirmed. No row back means the balance was too low. */
    [ST_PAY] = {"pay",
                "WITH w AS (UPDATE wallets SET balance = balance - $3::bigint, updated_at = now() "
                "WHERE user_id = $1::bigint AND balance >= $3::bigint RETURNING balance), "
                "p AS (INSERT INTO payments (id, reservation_id, user_id, amount) "
                "SELECT coalesce($4::bigint, nextval('payments_id_seq')), $2::bigint, "
                "$1::bigint, $3::bigint FROM w RETURNING id, created_at), "
                "l AS (INSERT INTO point_ledger (user_id, delta, balance_after, kind, payment_id) "
                "SELECT $1::bigint, -$3::bigint, w.balance, 'PAYMENT', p.id FROM w, p "
                "WHERE $3::bigint > 0 RETURNING id), "
                "c AS (UPDATE reservations SET status = 'CONFIRMED', confirmed_at = now() "
                "WHERE id = $2::bigint AND status = 'HELD' AND EXISTS (SELECT 1 FROM p) "
                "RETURNING id) "
                "SELECT p.id, floor(extract(epoch FROM p.created_at) * 1000)::bigint, "
                "w.balance, (SELECT count(*) FROM c) FROM w, p",
                1},
    [ST_PAYMENT_BY_ID] = {"payment_by_id", PAYMENT_SELECT "WHERE p.id = $1::bigint", 0},
    [ST_PAYMENT_BY_RESERVATION] = {"payment_by_reservation",
                                   PAYMENT_SELECT "WHERE p.reservation_id = $1::bigint "
                                                  "AND p.user_id = $2::bigint",
                                   0},
    [ST_CONCERT_CREATE] = {"concert_create",
                           "INSERT INTO concerts (title, artist, venue) "
                           "VALUES ($1::text, $2::text, $3::text) RETURNING id",
                           1},
    [ST_SCHEDULE_CREATE] = {"schedule_create",
                            "WITH sc AS (INSERT INTO schedules (concert_id, starts_at) "
                            "VALUES ($1::bigint, "
                            "timestamptz 'epoch' + $2::bigint * interval '1 millisecond') "
                            "RETURNING id, starts_at), "
                            "st AS (INSERT INTO seats (schedule_id, seat_no, price) "
                            "SELECT sc.id, g.n, ($3::bigint[])[g.n] FROM sc, "
                            "generate_series(1, 50) AS g(n) RETURNING 1) "
                            "SELECT sc.id, floor(extract(epoch FROM sc.starts_at) * 1000)::bigint, "
                            "(SELECT count(*) FROM st) FROM sc",
                            1},
};

/* ---- parameters and values ------------------------------------------------ */

struct params {
    int n;
    const char *v[STORE_MAX_PARAMS];
    char buf[STORE_MAX_PARAMS][24];
};

static void param_u64(struct params *p, uint64_t x)
{
    snprintf(p->buf[p->n], sizeof(p->buf[p->n]), "%" PRIu64, x);
    p->v[p->n] = p->buf[p->n];
    p->n++;
}

static void param_i64(struct params *p, int64_t x)
{
    snprintf(p->buf[p->n], sizeof(p->buf[p->n]), "%" PRId64, x);
    p->v[p->n] = p->buf[p->n];
    p->n++;
}

/* param_text borrows text until the statement has run; NULL is SQL NULL. */
static void param_text(struct params *p, const char *text)
{
    p->v[p->n++] = text;
}

static int64_t value_i64(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static uint64_t value_u64(const PGresult *res, int row, int col)
{
    return strtoull(PQgetvalue(res, row, col), NULL, 10);
}

static void value_text(const PGresult *res, int row, int col, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", PQgetvalue(res, row, col));
}

static int reservation_status_parse(const char *text)
{
    if (strcmp(text, "HELD") == 0) {
        return RESERVATION_HELD;
    }
    if (strcmp(text, "CONFIRMED") == 0) {
        return RESERVATION_CONFIRMED;
    }
    if (strcmp(text, "CANCELLED") == 0) {
        return RESERVATION_CANCELLED;
    }
    return RESERVATION_EXPIRED;
}

/* Reads RESERVATION_COLS starting at column 0. */
static void reservation_from_row(const PGresult *res, int row, struct reservation *out)
{
    memset(out, 0, sizeof(*out));
    out->id = value_u64(res, row, 0);
    out->user_id = value_u64(res, row, 1);
    out->concert_id = value_u64(res, row, 2);
    out->schedule_id = value_u64(res, row, 3);
    out->seat_no = (uint32_t)value_u64(res, row, 4);
    out->price = value_i64(res, row, 5);
    out->status = reservation_status_parse(PQgetvalue(res, row, 6));
    out->held_at_ms = value_i64(res, row, 7);
    out->expires_at_ms = value_i64(res, row, 8);
}

static void schedule_from_row(const PGresult *res, int row, struct schedule *out)
{
    memset(out, 0, sizeof(*out));
    out->id = value_u64(res, row, 0);
    out->concert_id = value_u64(res, row, 1);
    out->starts_at_ms = value_i64(res, row, 2);
    out->available_seats = (uint32_t)value_u64(res, row, 3);
    out->total_seats = (uint32_t)value_u64(res, row, 4);
}

static void payment_from_row(const PGresult *res, int row, struct payment *out)
{
    memset(out, 0, sizeof(*out));
    out->id = value_u64(res, row, 0);
    out->reservation_id = value_u64(res, row, 1);
    out->user_id = value_u64(res, row, 2);
    out->schedule_id = value_u64(res, row, 3);
    out->seat_no = (uint32_t)value_u64(res, row, 4);
    out->amount = value_i64(res, row, 5);
    out->paid_at_ms = value_i64(res, row, 6);
    out->balance_after = value_i64(res, row, 7);
}

/* ---- error translation ---------------------------------------------------- */

struct constraint_code {
    const char *name;
    int code;
};

/* Constraint names from db/migrations/001_schema.sql and what breaking them means. */
static const struct constraint_code constraint_codes[] = {
    {"reservations_live_seat_uidx", BO_E_SEAT_TAKEN},
    {"reservations_user_hold_uidx", BO_E_HOLD_LIMIT},
    {"payments_reservation_key", BO_E_RESERVATION_NOT_HELD},
    {"reservations_user_id_fkey", BO_E_USER_NOT_FOUND},
    {"wallets_user_id_fkey", BO_E_USER_NOT_FOUND},
    {"point_ledger_user_id_fkey", BO_E_USER_NOT_FOUND},
    {"payments_user_id_fkey", BO_E_USER_NOT_FOUND},
    {"idempotency_keys_user_id_fkey", BO_E_USER_NOT_FOUND},
    {"schedules_concert_id_fkey", BO_E_CONCERT_NOT_FOUND},
    {"seats_schedule_id_fkey", BO_E_SCHEDULE_NOT_FOUND},
    {"reservations_seat_fkey", BO_E_SEAT_NOT_FOUND},
    {"payments_reservation_id_fkey", BO_E_RESERVATION_NOT_FOUND},
    {"wallets_balance_nonnegative", BO_E_INSUFFICIENT_POINTS},
    {"wallets_balance_max", BO_E_BALANCE_LIMIT},
};

/* oneline copies a libpq message into buf with its line breaks flattened: one event, one
 * log line. */
static const char *oneline(const char *msg, char *buf, size_t len)
{
    size_t i = 0;
    for (; msg != NULL && msg[i] != '\0' && i + 1 < len; i++) {
        buf[i] = msg[i] == '\n' || msg[i] == '\t' ? ' ' : msg[i];
    }
    while (i > 0 && buf[i - 1] == ' ') {
        i--;
    }
    buf[i] = '\0';
    return buf;
}

static int connection_lost(const struct store *s, const char *sqlstate)
{
    if (PQstatus(s->conn) != CONNECTION_OK) {
        return 1;
    }
    /* 08xxx connection exceptions, 57P01..57P03 server shutting down or starting. */
    return sqlstate != NULL && (strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "57P01") == 0 ||
                                strcmp(sqlstate, "57P02") == 0 || strcmp(sqlstate, "57P03") == 0);
}

/*
 * store_translate maps a failed result (NULL when libpq could not even send) to a code and
 * logs what is not a domain outcome. write tells whether the statement may have changed
 * data outside an explicit transaction, which decides whether a lost connection is safe
 * to retry.
 */
static int store_translate(struct store *s, const PGresult *res, const char *what, int write)
{
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *cons = res != NULL ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    char msg[512];

    if (connection_lost(s, state)) {
        BO_WARN("store: %s: connection lost: %s", what,
                oneline(PQerrorMessage(s->conn), msg, sizeof(msg)));
        /* Inside an open transaction nothing is committed until COMMIT, which is a write. */
        return write ? STORE_E_LOST_UNSAFE : STORE_E_LOST;
    }
    if (state != NULL) {
        if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
            return STORE_E_RETRY;
        }
        if (cons != NULL && (strcmp(state, "23505") == 0 || strcmp(state, "23503") == 0 ||
                             strcmp(state, "23514") == 0)) {
            for (size_t i = 0; i < sizeof(constraint_codes) / sizeof(constraint_codes[0]); i++) {
                if (strcmp(cons, constraint_codes[i].name) == 0) {
                    return constraint_codes[i].code;
                }
            }
        }
        /* Other CHECKs (title length, seat price) and bad numbers reject the input. */
        if (strcmp(state, "23514") == 0 || strcmp(state, "22003") == 0 ||
            strcmp(state, "22P02") == 0 || strcmp(state, "22001") == 0) {
            return BO_E_INVALID_ARGUMENT;
        }
    }
    BO_ERR("store: %s failed (SQLSTATE %s): %s", what, state != NULL ? state : "none",
           oneline(res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(s->conn), msg,
                   sizeof(msg)));
    return BO_E_INTERNAL;
}

/* ---- execution ------------------------------------------------------------ */

static void store_notice(void *arg, const char *message)
{
    char msg[512];
    (void)arg;
    BO_DEBUG("store: postgres: %s", oneline(message, msg, sizeof(msg)));
}

/* Prepares statement id on this connection the first time it is used. */
static int store_prepare(struct store *s, enum stmt_id id)
{
    if (s->prepared & ((uint64_t)1 << id)) {
        return BO_OK;
    }
    PGresult *res = PQprepare(s->conn, stmts[id].name, stmts[id].sql, 0, NULL);
    int rc = BO_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = store_translate(s, res, stmts[id].name, 0);
    } else {
        s->prepared |= (uint64_t)1 << id;
    }
    PQclear(res);
    return rc;
}

/* store_exec runs a prepared statement; on BO_OK *out is its result (caller clears). */
static int store_exec(struct store *s, enum stmt_id id, const struct params *p, PGresult **out)
{
    int rc = store_prepare(s, id);
    if (rc != BO_OK) {
        return rc;
    }
    PGresult *res = PQexecPrepared(s->conn, stmts[id].name, p != NULL ? p->n : 0,
                                   p != NULL ? p->v : NULL, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        rc = store_translate(s, res, stmts[id].name, stmts[id].write && !s->in_tx);
        PQclear(res);
        return rc;
    }
    *out = res;
    return BO_OK;
}

/* store_command runs a fixed command without parameters (BEGIN, COMMIT, a file). */
static int store_command(struct store *s, const char *sql, const char *what, int write)
{
    PGresult *res = PQexec(s->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = BO_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = store_translate(s, res, what, write);
    }
    PQclear(res);
    return rc;
}

static int store_begin(struct store *s)
{
    int rc = store_command(s, "BEGIN", "begin", 0);
    if (rc == BO_OK) {
        s->in_tx = 1;
    }
    return rc;
}

/* store_commit's outcome is unknown when the connection drops during it. */
static int store_commit(struct store *s)
{
    int rc = store_command(s, "COMMIT", "commit", 1);
    s->in_tx = 0;
    return rc;
}

/* store_rollback ends a failed transaction; its own failure changes nothing for the caller. */
static void store_rollback(struct store *s)
{
    if (!s->in_tx) {
        return;
    }
    s->in_tx = 0;
    if (PQstatus(s->conn) == CONNECTION_OK && PQtransactionStatus(s->conn) != PQTRANS_IDLE) {
        PGresult *res = PQexec(s->conn, "ROLLBACK");
        PQclear(res);
    }
}

/* store_reset reconnects; prepared statements died with the old session. */
static int store_reset(struct store *s)
{
    PQreset(s->conn);
    s->prepared = 0;
    s->in_tx = 0;
    if (PQstatus(s->conn) != CONNECTION_OK) {
        char msg[512];
        BO_WARN("store: reconnect failed: %s", oneline(PQerrorMessage(s->conn), msg, sizeof(msg)));
        return BO_E_UNAVAILABLE;
    }
    BO_INFO("store: reconnected");
    return BO_OK;
}

typedef int (*store_op)(struct store *s, void *arg);

/*
 * store_run runs op on a working connection: serialization failures and deadlocks retry
 * the whole operation, a lost connection is reset and the operation retried once when
 * nothing of it can have been applied, else the caller gets BO_E_UNAVAILABLE.
 */
static int store_run(struct store *s, store_op op, void *arg)
{
    int rc = BO_E_INTERNAL;
    int lost_retried = 0;

    if (PQstatus(s->conn) != CONNECTION_OK && store_reset(s) != BO_OK) {
        return BO_E_UNAVAILABLE;
    }
    for (int attempt = 0; attempt < STORE_TX_ATTEMPTS; attempt++) {
        rc = op(s, arg);
        store_rollback(s);
        if (rc == STORE_E_RETRY) {
            struct timespec ts = {0, (long)(1000000L * (1 + attempt * 3))};
            nanosleep(&ts, NULL);
            continue;
        }
        if (rc == STORE_E_LOST && !lost_retried) {
            lost_retried = 1;
            if (store_reset(s) != BO_OK) {
                return BO_E_UNAVAILABLE;
            }
            continue;
        }
        break;
    }
    if (rc == STORE_E_LOST || rc == STORE_E_LOST_UNSAFE) {
        if (PQstatus(s->conn) != CONNECTION_OK) {
            (void)store_reset(s);
        }
        return BO_E_UNAVAILABLE;
    }
    if (rc == STORE_E_RETRY) {
        BO_WARN("store: gave up after %d serialization failures", STORE_TX_ATTEMPTS);
        return BO_E_UNAVAILABLE;
    }
    return rc;
}

/* ---- lifecycle -------------------------------------------------------------- */

int store_open(const char *conninfo, struct store **out)
{
    if (conninfo == NULL) {
        return BO_E_INVALID_ARGUMENT;
    }
    struct store *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return BO_E_NOMEM;
    }
    /*
     * Defaults first: values in conninfo (expanded from "dbname") override them. Every
     * statement here is a short lookup by key whose best plan does not depend on the values,
     * so generic plans spare PostgreSQL from planning each execution (measured: planning was
     * most of its time under the seat-map bench).
     */
    const char *keys[] = {"connect_timeout", "application_name", "options", "dbname", NULL};
    const char *vals[] = {"5", "boxoffice", "-c plan_cache_mode=force_generic_plan", conninfo,
                          NULL};
    s->conn = PQconnectdbParams(keys, vals, 1);
    if (s->conn == NULL) {
        free(s);
        return BO_E_NOMEM;
    }
    if (PQstatus(s->conn) != CONNECTION_OK) {
        char msg[512];
        BO_WARN("store: cannot connect: %s", oneline(PQerrorMessage(s->conn), msg, sizeof(msg)));
        store_close(s);
        return BO_E_UNAVAILABLE;
    }
    PQsetNoticeProcessor(s->conn, store_notice, NULL);
    *out = s;
    return BO_OK;
}

void store_close(struct store *s)
{
    if (s == NULL) {
        return;
    }
    PQfinish(s->conn);
    free(s);
}

static int op_ping(struct store *s, void *arg)
{
    (void)arg;
    return store_command(s, "SELECT 1", "ping", 0);
}

int store_ping(struct store *s)
{
    return store_run(s, op_ping, NULL);
}

/* ---- migrations and files --------------------------------------------------- */

/* read_file reads a whole file into a NUL-terminated heap string the caller frees. */
static int read_file(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        BO_ERR("store: cannot open %s: %s", path, strerror(errno));
        return BO_E_NOT_FOUND;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = BO_OK;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 16384;
            char *nbuf = realloc(buf, cap);
            if (nbuf == NULL) {
                rc = BO_E_NOMEM;
                goto done;
            }
            buf = nbuf;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) {
            break;
        }
    }
    if (ferror(f)) {
        BO_ERR("store: cannot read %s", path);
        rc = BO_E_INTERNAL;
        goto done;
    }
    buf[len] = '\0';
    *out = buf;
    buf = NULL;
done:
    free(buf);
    fclose(f);
    return rc;
}

/* A migration file is named NNN_name.sql: digits, an underscore, then anything. */
static int migration_version(const char *name, int *version)
{
    size_t len = strlen(name);
    size_t digits = strspn(name, "0123456789");
    if (digits == 0 || digits > 9 || name[digits] != '_' || len < digits + 5 ||
        strcmp(name + len - 4, ".sql") != 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    *version = atoi(name);
    return BO_OK;
}

static int migration_filter(const struct dirent *d)
{
    int version;
    return migration_version(d->d_name, &version) == BO_OK;
}

/* store_migration_apply applies one file and records it, in one transaction. */
static int store_migration_apply(struct store *s, const char *dir, const char *name, int version)
{
    char path[4096];
    char *sql = NULL;
    struct params p = {0};
    PGresult *res = NULL;
    int rc;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((rc = read_file(path, &sql)) != BO_OK) {
        return rc;
    }
    if ((rc = store_begin(s)) != BO_OK) {
        goto done;
    }
    if ((rc = store_command(s, sql, name, 1)) != BO_OK) {
        goto done;
    }
    param_i64(&p, version);
    param_text(&p, name);
    res = PQexecParams(s->conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                       p.n, NULL, p.v, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = store_translate(s, res, "record migration", 1);
        goto done;
    }
    rc = store_commit(s);
    if (rc == BO_OK) {
        BO_INFO("store: applied migration %s", name);
    }
done:
    PQclear(res);
    store_rollback(s);
    free(sql);
    return rc;
}

/* store_migrate_locked runs with the advisory lock held: only one instance gets here. */
static int store_migrate_locked(struct store *s, const char *dir, int *applied)
{
    struct dirent **names = NULL;
    PGresult *done_res = NULL;
    int count = 0;
    int rc;

    rc = store_command(s,
                       "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "version int PRIMARY KEY, name text NOT NULL, "
                       "applied_at timestamptz NOT NULL DEFAULT now())",
                       "create schema_migrations", 1);
    if (rc != BO_OK) {
        return rc;
    }
    done_res = PQexec(s->conn, "SELECT version FROM schema_migrations");
    if (PQresultStatus(done_res) != PGRES_TUPLES_OK) {
        rc = store_translate(s, done_res, "read schema_migrations", 0);
        goto done;
    }
    int n = scandir(dir, &names, migration_filter, alphasort);
    if (n < 0) {
        BO_ERR("store: cannot list migrations in %s: %s", dir, strerror(errno));
        rc = BO_E_NOT_FOUND;
        goto done;
    }
    for (int i = 0; i < n && rc == BO_OK; i++) {
        int version = 0, seen = 0;
        (void)migration_version(names[i]->d_name, &version);
        for (int row = 0; row < PQntuples(done_res); row++) {
            seen |= atoi(PQgetvalue(done_res, row, 0)) == version;
        }
        if (!seen) {
            rc = store_migration_apply(s, dir, names[i]->d_name, version);
            count += rc == BO_OK;
        }
    }
    for (int i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    if (rc == BO_OK) {
        *applied = count;
    }
done:
    PQclear(done_res);
    return rc;
}

struct migrate_arg {
    const char *dir;
    int *applied;
};

static int op_migrate(struct store *s, void *arg)
{
    struct migrate_arg *a = arg;
    /* A session lock, held across the per-file transactions, released on every path
     * (and by the server if this connection dies). */
    int rc = store_command(s, "SELECT pg_advisory_lock(" STORE_MIGRATE_LOCK_KEY ")",
                           "migration lock", 0);
    if (rc != BO_OK) {
        return rc;
    }
    rc = store_migrate_locked(s, a->dir, a->applied);
    store_rollback(s);
    if (PQstatus(s->conn) == CONNECTION_OK) {
        PGresult *res = PQexec(s->conn, "SELECT pg_advisory_unlock(" STORE_MIGRATE_LOCK_KEY ")");
        PQclear(res);
    }
    /* A migration that failed half-way is not silently retried. */
    return rc == STORE_E_LOST ? STORE_E_LOST_UNSAFE : rc;
}

int store_migrate(struct store *s, const char *dir, int *applied)
{
    if (dir == NULL || applied == NULL) {
        return BO_E_INVALID_ARGUMENT;
    }
    struct migrate_arg a = {dir, applied};
    return store_run(s, op_migrate, &a);
}

static int op_exec_file(struct store *s, void *arg)
{
    const char *sql = arg;
    int rc = store_begin(s);
    if (rc != BO_OK) {
        return rc;
    }
    if ((rc = store_command(s, sql, "exec file", 1)) != BO_OK) {
        return rc;
    }
    return store_commit(s);
}

int store_exec_file(struct store *s, const char *path)
{
    char *sql;
    int rc = read_file(path, &sql);
    if (rc != BO_OK) {
        return rc;
    }
    rc = store_run(s, op_exec_file, sql);
    free(sql);
    return rc;
}

/* ---- users and catalog ---------------------------------------------------- */

struct exists_arg {
    enum stmt_id stmt;
    uint64_t id;
    int missing; /* code when there is no such row */
};

static int op_exists(struct store *s, void *arg)
{
    struct exists_arg *a = arg;
    struct params p = {0};
    PGresult *res;
    param_u64(&p, a->id);
    int rc = store_exec(s, a->stmt, &p, &res);
    if (rc != BO_OK) {
        return rc;
    }
    rc = PQntuples(res) > 0 ? BO_OK : a->missing;
    PQclear(res);
    return rc;
}

int store_user_exists(struct store *s, uint64_t user_id)
{
    struct exists_arg a = {ST_USER_EXISTS, user_id, BO_E_USER_NOT_FOUND};
    return store_run(s, op_exists, &a);
}

int store_concert_exists(struct store *s, uint64_t concert_id)
{
    struct exists_arg a = {ST_CONCERT_EXISTS, concert_id, BO_E_CONCERT_NOT_FOUND};
    return store_run(s, op_exists, &a);
}

struct concerts_arg {
    struct concert **out;
    size_t *n;
};

static int op_concerts_list(struct store *s, void *arg)
{
    struct concerts_arg *a = arg;
    PGresult *res;
    int rc = store_exec(s, ST_CONCERTS_LIST, NULL, &res);
    if (rc != BO_OK) {
        return rc;
    }
    int rows = PQntuples(res);
    struct concert *list = calloc(rows > 0 ? (size_t)rows : 1, sizeof(*list));
    if (list == NULL) {
        PQclear(res);
        return BO_E_NOMEM;
    }
    for (int i = 0; i < rows; i++) {
        list[i].id = value_u64(res, i, 0);
        value_text(res, i, 1, list[i].title, sizeof(list[i].title));
        value_text(res, i, 2, list[i].artist, sizeof(list[i].artist));
        value_text(res, i, 3, list[i].venue, sizeof(list[i].venue));
        list[i].schedule_count = (uint32_t)value_u64(res, i, 4);
    }
    PQclear(res);
    *a->out = list;
    *a->n = (size_t)rows;
    return BO_OK;
}

int store_concerts_list(struct store *s, struct concert **out, size_t *n)
{
    struct concerts_arg a = {out, n};
    return store_run(s, op_concerts_list, &a);
}

struct schedules_arg {
    uint64_t concert_id;
    struct schedule **out;
    size_t *n;
};

static int op_schedules_list(struct store *s, void *arg)
{
    struct schedules_arg *a = arg;
    struct params p = {0};
    PGresult *res;
    param_u64(&p, a->concert_id);
    int rc = store_exec(s, ST_SCHEDULES_LIST, &p, &res);
    if (rc != BO_OK) {
        return rc;
    }
    int rows = PQntuples(res);
    if (rows == 0) {
        /* Rare path: tell an unknown concert from a sold-out one. */
        PQclear(res);
        struct exists_arg e = {ST_CONCERT_EXISTS, a->concert_id, BO_E_CONCERT_NOT_FOUND};
        if ((rc = op_exists(s, &e)) != BO_OK) {
            return rc;
        }
        res = NULL;
    }
    struct schedule *list = calloc(rows > 0 ? (size_t)rows : 1, sizeof(*list));
    if (list == NULL) {
        PQclear(res);
        return BO_E_NOMEM;
    }
    for (int i = 0; i < rows; i++) {
        schedule_from_row(res, i, &list[i]);
    }
    PQclear(res);
    *a->out = list;
    *a->n = (size_t)rows;
    return BO_OK;
}

int store_schedules_list(struct store *s, uint64_t concert_id, struct schedule **out, size_t *n)
{
    struct schedules_arg a = {concert_id, out, n};
    return store_run(s, op_schedules_list, &a);
}

struct schedule_arg {
    uint64_t id;
    struct schedule *out;
};

static int op_schedule_get(struct store *s, void *arg)
{
    struct schedule_arg *a = arg;
    struct params p = {0};
    PGresult *res;
    param_u64(&p, a->id);
    int rc = store_exec(s, ST_SCHEDULE_GET, &p, &res);
    if (rc != BO_OK) {
        return rc;
    }
    if (PQntuples(res) == 0) {
        rc = BO_E_SCHEDULE_NOT_FOUND;
    } else {
        schedule_from_row(res, 0, a->out);
    }
    PQclear(res);
    return rc;
}

int store_schedule_get(struct store *s, uint64_t schedule_id, struct schedule *out)
{
    struct schedule_arg a = {schedule_id, out};
    return store_run(s, op_schedule_get, &a);
}

struct seats_arg {
    uint64_t schedule_id;
    struct seat *out;
    size_t *n;
};

static int op_seats_list(struct store *s, void *arg)
{
    struct seats_arg *a = arg;
    struct params p = {0};
    PGresult *res;
    param_u64(&p, a->schedule_id);
    int rc = store_exec(s, ST_SEATS_LIST, &p, &res);
    if (rc != BO_OK) {
        return rc;
    }
    /* Every date is created with its seats, so no seats means no date. */
    int rows = PQntuples(res);
    if (rows == 0) {
        PQclear(res);
        return BO_E_SCHEDULE_NOT_FOUND;
    }
    if (rows > SEATS_PER_SCHEDULE) {
        rows = SEATS_PER_SCHEDULE;
    }
    for (int i = 0; i < rows; i++) {
        a->out[i].seat_no = (uint32_t)value_u64(res, i, 0);
        a->out[i].price = value_i64(res, i, 1);
        a->out[i].status = (int)value_i64(res, i, 2);
    }
    PQclear(res);
    *a->n = (size_t)rows;
    return BO_OK;
}

int store_seats_list(struct store *s, uint64_t schedule_id, struct seat out[SEATS_PER_SCHEDULE],
                     size_t *n)
{
    struct seats_arg a = {schedule_id, out, n};
    return store_run(s, op_seats_list, &a);
}

/* ---- reservations ----------------------------------------------------------- */

struct hold_arg {
    uint64_t user_id;
    uint64_t schedule_id;
    uint32_t seat_no;
    int64_t hold_ms;
    struct reservation *out;
};

static int op_hold_insert(struct store *s, void *arg)
{
    struct hold_arg *a = arg;
    struct params p = {0};
    PGresult *res;
    param_u64(&p, a->user_id);
    param_u64(&p, a->schedule_id);
    param_u64(&p, a->seat_no);
    param_i64(&p, a->hold_ms);
    int rc = store_exec(s, ST_HOLD_INSERT, &p, &res);
    if (rc != BO_OK) {
        return rc;
    }
    if (PQntuples(res) == 1) {
        reservation_from_row(res, 0, a->out);
        PQclear(res);
        return BO_OK;
    }
    PQclear(res);
    /* No seat row matched: tell an unknown date from an unknown seat number. */
    struct exists_arg e = {ST_SCHEDULE_EXISTS, a->schedule_id, BO_E_SCHEDULE_NOT_FOUND};
    rc = op_exists(s, &e);
    return rc == BO_OK ? BO_E_SEAT_NOT_FOUND : rc;
}

int store_hold_insert(struct store *s, uint64_t user_id, uint64_t schedule_id, uint32_t seat_no,
                      int64_t hold_ms, struct reservation *out)
{
    if (hold_ms <= 0 || hold_ms > 24LL * 3600 * 1000) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (seat_no < 1 || seat_no > SEATS_PER_SCHEDULE) {
        /* Still tell an unknown date first, as the caller would expect. */
        struct exists_arg e = {ST_SCHEDULE_EXISTS, schedule_id, BO_E_SCHEDULE_NOT_FOUND};
        int rc = store_run(s, op_exists, &e);
        return rc == BO_OK ? BO_E_SEAT_NOT_FOUND : rc;
    }
    struct reservation r;
    struct hold_arg a = {user_id, schedule_id, seat_no, hold_ms, &r};
    int rc = store_run(s, op_hold_insert, &a);
    if (rc == BO_OK) {
        *out = r;
    }
    return rc;
}

struct reservation_arg {
    uint64_t user_id;
    uint64_t reservation_id;
    struct reservation *out;
};

static int op_reservation_get(struct store *s, void *arg)
{
    struct reservation_arg *a = arg;
    struct params p = {0};
    PGresult *res;
    param_u64(&p, a->reservation_id);
    int rc = store_exec(s, ST_RESERVATION_GET, &p, &res);
    if (rc != BO_OK) {
        return rc;
    }
    if (PQntuples(res) == 0) {
        rc = BO_E_RESERVATION_NOT_FOUND;
    } else {
        reservation_from_row(res, 0, a->out);
    }
    PQclear(res);
    return rc;
}

static int op_hold_release(struct store *s, void *arg)
{
    struct reservation_arg *a = arg;
    struct params p = {0};
    PGresult *res;
    param_u64(&p, a->reservation_id);
    param_u64(&p, a->user_id);
    int rc = store_exec(s, ST_HOLD_RELEASE, &p, &res);
    if (rc != BO_OK) {
        return rc;
    }
    if (PQntuples(res) == 1) {
        reservation_from_row(res, 0, a->out);
        PQclear(res);
        return BO_OK;
    }
    PQclear(res);
    /* Nothing cancelled: read the row to say why. */
    struct reservation r;
    struct reservation_arg g = {a->user_id, a->reservation_id, &r};
    if ((rc = op_reservation_get(s, &g)) != BO_OK) {
        return rc;
    }
    if (r.user_id != a->user_id) {
        return BO_E_NOT_OWNER;
    }
    return r.status == RESERVATION_EXPIRED ? BO_E_HOLD_EXPIRED : BO_E_RESERVATION_NOT_HELD;
}

int store_hold_release(struct store *s, uint64_t user_id, uint64_t reservation_id,
                       struct reservation *out)
{
    struct reservation r;
    struct reservation_arg a = {user_id, reservation_id, &r};
    int rc = store_run(s, op_hold_release, &a);
    if (rc == BO_OK) {
        *out = r;
    }
    return rc;
}

int store_reservation_get(struct store *s, uint64_t reservation_id, struct reservation *out)
{
    struct reservation r;
    struct reservation_arg a = {0, reservation_id, &r};
    int rc = store_run(s, op_reservation_get, &a);
    if (rc == BO_OK) {
        *out = r;
    }
    return rc;
}

static int op_holds_expire(struct store *s, void *arg)
{
    PGresult *res;
    int rc = store_exec(s, ST_HOLDS_EXPIRE, NULL, &res);
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
    int rc = store_run(s, op_holds_expire, &count);
    if (rc == BO_OK) {
        *n = count;
    }
    return rc;
}

/* ---- points and payments ---------------------------------------------------- */

struct balance_arg {
    uint64_t user_id;
    int64_t balance;
};

static int op_balance_get(struct store *s, void *arg)
{
    struct balance_arg *a = arg;
    struct params p = {0};
    PGresult *res;
    param_u64(&p, a->user_id);
    int rc = store_exec(s, ST_BALANCE_GET, &p, &res);
    if (rc != BO_OK) {
        return rc;
    }
    if (PQntuples(res) == 0) {
        rc = BO_E_USER_NOT_FOUND;
    } else {
        a->balance = value_i64(res, 0, 0);
    }
    PQclear(res);
    return rc;
}

int store_balance_get(struct store *s, uint64_t user_id, int64_t *balance)
{
    struct balance_arg a = {user_id, 0};
    int rc = store_run(s, op_balance_get, &a);
    if (rc == BO_OK) {
        *balance = a.balance;
    }
    return rc;
}

/* Keys are 1..IDEMPOTENCY_KEY_MAX printable ASCII characters; "" or NULL means none. */
static int idem_key_check(const char *key)
{
    size_t len = strlen(key);
    if (len > IDEMPOTENCY_KEY_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < len; i++) {
        if (key[i] < 0x20 || key[i] > 0x7e) {
            return BO_E_INVALID_ARGUMENT;
        }
    }
    return BO_OK;
}

/*
 * idem_claim claims (user, scope, key) inside the open transaction. On BO_OK either
 * *claimed = 1 and *result_id is the id reserved for the new result, or *claimed = 0 and
 * *result_id names the earlier result of the same request; BO_E_IDEMPOTENCY_MISMATCH when
 * the key was used for another request.
 */
static int idem_claim(struct store *s, uint64_t user_id, const char *scope, const char *key,
                      const char *fingerprint, int *claimed, uint64_t *result_id)
{
    struct params p = {0};
    PGresult *res;
    param_u64(&p, user_id);
    param_text(&p, scope);
    param_text(&p, key);
    param_text(&p, fingerprint);
    int rc = store_exec(s, ST_IDEM_CLAIM, &p, &res);
    if (rc != BO_OK) {
        return rc;
    }
    if (PQntuples(res) == 1) {
        *result_id = value_u64(res, 0, 0);
        *claimed = 1;
        PQclear(res);
        return BO_OK;
    }
    PQclear(res);
    p.n = 3;
    if ((rc = store_exec(s, ST_IDEM_GET, &p, &res)) != BO_OK) {
        return rc;
    }
    if (PQntuples(res) == 0) {
        /* The conflicting row vanished (its transaction rolled back): claim again. */
        rc = STORE_E_RETRY;
    } else if (strcmp(PQgetvalue(res, 0, 0), fingerprint) != 0) {
        rc = BO_E_IDEMPOTENCY_MISMATCH;
    } else {
        *result_id = value_u64(res, 0, 1);
        *claimed = 0;
    }
    PQclear(res);
    return rc;
}

struct charge_arg {
    uint64_t user_id;
    int64_t amount;
    const char *key; /* NULL: none */
    struct charge out;
    int replayed;
};

static int op_charge(struct store *s, void *arg)
{
    struct charge_arg *a = arg;
    struct params p = {0};
    PGresult *res = NULL;
    uint64_t ledger_id = 0;
    char fingerprint[48];
    char idbuf[24];
    int claimed = 1;
    int rc;

    if (a->key != NULL) {
        if ((rc = store_begin(s)) != BO_OK) {
            return rc;
        }
        snprintf(fingerprint, sizeof(fingerprint), "charge:%" PRId64, a->amount);
        rc = idem_claim(s, a->user_id, "charge", a->key, fingerprint, &claimed, &ledger_id);
        if (rc != BO_OK) {
            return rc;
        }
        if (!claimed) {
            param_u64(&p, ledger_id);
            param_u64(&p, a->user_id);
            if ((rc = store_exec(s, ST_LEDGER_CHARGE_GET, &p, &res)) != BO_OK) {
                return rc;
            }
            if (PQntuples(res) == 0) {
                BO_ERR("store: idempotency key names missing ledger row %" PRIu64, ledger_id);
                rc = BO_E_INTERNAL;
            } else {
                a->out.user_id = a->user_id;
                a->out.amount = value_i64(res, 0, 0);
                a->out.balance = value_i64(res, 0, 1);
                a->out.ledger_id = ledger_id;
                a->replayed = 1;
            }
            PQclear(res);
            return rc;
        }
    }
    param_u64(&p, a->user_id);
    param_i64(&p, a->amount);
    if (a->key != NULL) {
        snprintf(idbuf, sizeof(idbuf), "%" PRIu64, ledger_id);
        param_text(&p, idbuf);
    } else {
        param_text(&p, NULL);
    }
    if ((rc = store_exec(s, ST_CHARGE, &p, &res)) != BO_OK) {
        return rc;
    }
    if (PQntuples(res) != 1) {
        BO_ERR("store: charge returned %d rows", PQntuples(res));
        PQclear(res);
        return BO_E_INTERNAL;
    }
    a->out.user_id = a->user_id;
    a->out.amount = a->amount;
    a->out.ledger_id = value_u64(res, 0, 0);
    a->out.balance = value_i64(res, 0, 1);
    a->replayed = 0;
    PQclear(res);
    return s->in_tx ? store_commit(s) : BO_OK;
}

int store_points_charge(struct store *s, uint64_t user_id, int64_t amount, const char *idem_key,
                        struct charge *out, int *replayed)
{
    if (amount < 1 || amount > POINTS_CHARGE_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (idem_key != NULL && idem_key[0] == '\0') {
        idem_key = NULL;
    }
    if (idem_key != NULL && idem_key_check(idem_key) != BO_OK) {
        return BO_E_INVALID_ARGUMENT;
    }
    struct charge_arg a = {user_id, amount, idem_key, {0}, 0};
    int rc = store_run(s, op_charge, &a);
    if (rc == BO_OK) {
        *out = a.out;
        if (replayed != NULL) {
            *replayed = a.replayed;
        }
    }
    return rc;
}

struct payment_arg {
    uint64_t user_id;
    uint64_t reservation_id;
    const char *key; /* NULL: none */
    struct payment out;
    int replayed;
};

/* payment_load reads an existing payment by id (by_id) or by reservation and user. */
static int payment_load(struct store *s, struct payment_arg *a, int by_id, uint64_t payment_id)
{
    struct params p = {0};
    PGresult *res;
    int rc;
    if (by_id) {
        param_u64(&p, payment_id);
        rc = store_exec(s, ST_PAYMENT_BY_ID, &p, &res);
    } else {
        param_u64(&p, a->reservation_id);
        param_u64(&p, a->user_id);
        rc = store_exec(s, ST_PAYMENT_BY_RESERVATION, &p, &res);
    }
    if (rc != BO_OK) {
        return rc;
    }
    if (PQntuples(res) == 0) {
        rc = by_id ? BO_E_INTERNAL : BO_E_RESERVATION_NOT_HELD;
        if (by_id) {
            BO_ERR("store: idempotency key names missing payment %" PRIu64, payment_id);
        }
    } else {
        payment_from_row(res, 0, &a->out);
        a->replayed = 1;
    }
    PQclear(res);
    return rc;
}

static int op_payment(struct store *s, void *arg)
{
    struct payment_arg *a = arg;
    struct params p = {0};
    PGresult *res = NULL;
    uint64_t payment_id = 0;
    char fingerprint[48];
    char idbuf[24];
    int claimed = 0;
    int rc;

    if ((rc = store_begin(s)) != BO_OK) {
        return rc;
    }
    /* The row lock serializes every payment (and release) of this reservation. */
    param_u64(&p, a->reservation_id);
    if ((rc = store_exec(s, ST_RESERVATION_LOCK, &p, &res)) != BO_OK) {
        return rc;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        return BO_E_RESERVATION_NOT_FOUND;
    }
    uint64_t owner = value_u64(res, 0, 0);
    int status = reservation_status_parse(PQgetvalue(res, 0, 1));
    int expired = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
    int64_t price = value_i64(res, 0, 3);
    uint64_t schedule_id = value_u64(res, 0, 4);
    uint32_t seat_no = (uint32_t)value_u64(res, 0, 5);
    PQclear(res);

    if (owner != a->user_id) {
        return BO_E_NOT_OWNER;
    }
    if (a->key != NULL) {
        snprintf(fingerprint, sizeof(fingerprint), "payment:%" PRIu64, a->reservation_id);
        rc = idem_claim(s, a->user_id, "payment", a->key, fingerprint, &claimed, &payment_id);
        if (rc != BO_OK) {
            return rc;
        }
        if (!claimed) {
            return payment_load(s, a, 1, payment_id);
        }
    }
    if (status != RESERVATION_HELD) {
        if (status == RESERVATION_CONFIRMED && a->key == NULL) {
            return payment_load(s, a, 0, 0);
        }
        /* The sweeper marks ended holds within a tick: a late payer still learns why. */
        return status == RESERVATION_EXPIRED ? BO_E_HOLD_EXPIRED : BO_E_RESERVATION_NOT_HELD;
    }
    if (expired) {
        /* Drop the claimed key with the transaction, then end the hold for good. */
        store_rollback(s);
        p.n = 0;
        param_u64(&p, a->reservation_id);
        if ((rc = store_exec(s, ST_RESERVATION_EXPIRE, &p, &res)) != BO_OK) {
            return rc;
        }
        PQclear(res);
        return BO_E_HOLD_EXPIRED;
    }

    p.n = 0;
    param_u64(&p, a->user_id);
    param_u64(&p, a->reservation_id);
    param_i64(&p, price);
    if (claimed) {
        snprintf(idbuf, sizeof(idbuf), "%" PRIu64, payment_id);
        param_text(&p, idbuf);
    } else {
        param_text(&p, NULL);
    }
    if ((rc = store_exec(s, ST_PAY, &p, &res)) != BO_OK) {
        return rc;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        return BO_E_INSUFFICIENT_POINTS;
    }
    if (value_i64(res, 0, 3) != 1) {
        BO_ERR("store: payment of reservation %" PRIu64 " confirmed no row", a->reservation_id);
        PQclear(res);
        return BO_E_INTERNAL;
    }
    memset(&a->out, 0, sizeof(a->out));
    a->out.id = value_u64(res, 0, 0);
    a->out.paid_at_ms = value_i64(res, 0, 1);
    a->out.balance_after = value_i64(res, 0, 2);
    a->out.reservation_id = a->reservation_id;
    a->out.user_id = a->user_id;
    a->out.schedule_id = schedule_id;
    a->out.seat_no = seat_no;
    a->out.amount = price;
    a->replayed = 0;
    PQclear(res);
    return store_commit(s);
}

static int op_payment_find(struct store *s, void *arg)
{
    return payment_load(s, arg, 0, 0);
}

int store_payment_find(struct store *s, uint64_t user_id, uint64_t reservation_id,
                       struct payment *out)
{
    struct payment_arg a = {user_id, reservation_id, NULL, {0}, 0};
    int rc = store_run(s, op_payment_find, &a);
    if (rc == BO_E_RESERVATION_NOT_HELD) {
        return BO_E_NOT_FOUND;
    }
    if (rc == BO_OK) {
        *out = a.out;
    }
    return rc;
}

int store_payment_make(struct store *s, uint64_t user_id, uint64_t reservation_id,
                       const char *idem_key, struct payment *out, int *replayed)
{
    if (idem_key != NULL && idem_key[0] == '\0') {
        idem_key = NULL;
    }
    if (idem_key != NULL && idem_key_check(idem_key) != BO_OK) {
        return BO_E_INVALID_ARGUMENT;
    }
    struct payment_arg a = {user_id, reservation_id, idem_key, {0}, 0};
    int rc = store_run(s, op_payment, &a);
    if (rc != BO_OK) {
        return rc;
    }
    *out = a.out;
    if (replayed != NULL) {
        *replayed = a.replayed;
    }
    return BO_OK;
}

/* ---- admin ------------------------------------------------------------------ */

struct concert_create_arg {
    const char *title, *artist, *venue;
    uint64_t id;
};

static int op_concert_create(struct store *s, void *arg)
{
    struct concert_create_arg *a = arg;
    struct params p = {0};
    PGresult *res;
    param_text(&p, a->title);
    param_text(&p, a->artist);
    param_text(&p, a->venue);
    int rc = store_exec(s, ST_CONCERT_CREATE, &p, &res);
    if (rc != BO_OK) {
        return rc;
    }
    a->id = value_u64(res, 0, 0);
    PQclear(res);
    return BO_OK;
}

static int text_field_ok(const char *text, int required)
{
    size_t len = text != NULL ? strlen(text) : 0;
    return len < MODEL_TEXT_MAX && (!required || len > 0);
}

int store_concert_create(struct store *s, const char *title, const char *artist, const char *venue,
                         struct concert *out)
{
    if (!text_field_ok(title, 1) || !text_field_ok(artist, 0) || !text_field_ok(venue, 0)) {
        return BO_E_INVALID_ARGUMENT;
    }
    struct concert_create_arg a = {title, artist != NULL ? artist : "", venue != NULL ? venue : "",
                                   0};
    int rc = store_run(s, op_concert_create, &a);
    if (rc != BO_OK) {
        return rc;
    }
    memset(out, 0, sizeof(*out));
    out->id = a.id;
    snprintf(out->title, sizeof(out->title), "%s", a.title);
    snprintf(out->artist, sizeof(out->artist), "%s", a.artist);
    snprintf(out->venue, sizeof(out->venue), "%s", a.venue);
    return BO_OK;
}

struct schedule_create_arg {
    uint64_t concert_id;
    int64_t starts_at_ms;
    const char *prices; /* a bigint[] literal */
    struct schedule out;
};

static int op_schedule_create(struct store *s, void *arg)
{
    struct schedule_create_arg *a = arg;
    struct params p = {0};
    PGresult *res;
    param_u64(&p, a->concert_id);
    param_i64(&p, a->starts_at_ms);
    param_text(&p, a->prices);
    int rc = store_exec(s, ST_SCHEDULE_CREATE, &p, &res);
    if (rc != BO_OK) {
        return rc;
    }
    memset(&a->out, 0, sizeof(a->out));
    a->out.id = value_u64(res, 0, 0);
    a->out.concert_id = a->concert_id;
    a->out.starts_at_ms = value_i64(res, 0, 1);
    a->out.total_seats = (uint32_t)value_u64(res, 0, 2);
    a->out.available_seats = a->out.total_seats;
    PQclear(res);
    return BO_OK;
}

int store_schedule_create(struct store *s, uint64_t concert_id, int64_t starts_at_ms,
                          const int64_t prices[SEATS_PER_SCHEDULE], struct schedule *out)
{
    /* The prices travel as one array parameter, built from integers only. */
    char list[SEATS_PER_SCHEDULE * 21 + 3];
    size_t len = 0;
    list[len++] = '{';
    for (int i = 0; i < SEATS_PER_SCHEDULE; i++) {
        if (prices[i] < 0) {
            return BO_E_INVALID_ARGUMENT;
        }
        len +=
            (size_t)snprintf(list + len, sizeof(list) - len, "%s%" PRId64, i ? "," : "", prices[i]);
    }
    snprintf(list + len, sizeof(list) - len, "}");
    struct schedule_create_arg a = {concert_id, starts_at_ms, list, {0}};
    int rc = store_run(s, op_schedule_create, &a);
    if (rc == BO_OK) {
        *out = a.out;
    }
    return rc;
}
