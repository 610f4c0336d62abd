/*
 * store_conn: the store's connection and statement runner (see store_conn.h).
 *
 * Layers, low to high: parameters and values, error translation (SQLSTATE -> BO_E_*),
 * statements prepared lazily and run, transactions, the runner that resets a lost
 * connection and retries serialization failures, then the lifecycle of a connection.
 */
#include "store_conn.h"

#include "bo_log.h"

#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STORE_TX_ATTEMPTS 5

/* ---- parameters and values ------------------------------------------------ */

void store_param_u64(struct store_params *p, uint64_t x)
{
    snprintf(p->buf[p->n], sizeof(p->buf[p->n]), "%" PRIu64, x);
    p->v[p->n] = p->buf[p->n];
    p->n++;
}

void store_param_i64(struct store_params *p, int64_t x)
{
    snprintf(p->buf[p->n], sizeof(p->buf[p->n]), "%" PRId64, x);
    p->v[p->n] = p->buf[p->n];
    p->n++;
}

void store_param_text(struct store_params *p, const char *text)
{
    p->v[p->n++] = text;
}

void store_param_id(struct store_params *p, uint64_t id)
{
    if (id != 0) {
        store_param_u64(p, id);
    } else {
        store_param_text(p, NULL);
    }
}

static int store_reservation_status_parse(const char *text)
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

void store_row_scan(const PGresult *res, int row, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (int col = 0; fmt[col] != '\0'; col++) {
        const char *v = PQgetvalue(res, row, col);
        switch (fmt[col]) {
        case 'U':
            *va_arg(ap, uint64_t *) = strtoull(v, NULL, 10);
            break;
        case 'u':
            *va_arg(ap, uint32_t *) = (uint32_t)strtoull(v, NULL, 10);
            break;
        case 'I':
            *va_arg(ap, int64_t *) = strtoll(v, NULL, 10);
            break;
        case 'i':
            *va_arg(ap, int *) = (int)strtol(v, NULL, 10);
            break;
        case 'r':
            *va_arg(ap, int *) = store_reservation_status_parse(v);
            break;
        case 'b':
            *va_arg(ap, int *) = strcmp(v, "t") == 0;
            break;
        case 't': {
            char *out = va_arg(ap, char *);
            size_t size = va_arg(ap, size_t);
            snprintf(out, size, "%s", v);
            break;
        }
        default:
            BO_ERR("store: bad scan letter '%c' in \"%s\"", fmt[col], fmt);
            abort();
        }
    }
    va_end(ap);
}

void store_row_u64(const PGresult *res, int row, void *out)
{
    store_row_scan(res, row, "U", (uint64_t *)out);
}

void store_row_i64(const PGresult *res, int row, void *out)
{
    store_row_scan(res, row, "I", (int64_t *)out);
}

void store_seat_list_parse(const char *text, struct seat_list *out)
{
    const char *at = text;

    memset(out, 0, sizeof(*out));
    while (at != NULL && *at != '\0' && out->n < HOLD_SEATS_MAX) {
        char *end;
        unsigned long seat = strtoul(at, &end, 10);
        if (end == at || *end != ':' || seat == 0 || seat > UINT32_MAX) {
            break;
        }
        at = end + 1;
        long long price = strtoll(at, &end, 10);
        if (end == at || (*end != ',' && *end != '\0')) {
            break;
        }
        out->seat_nos[out->n] = (uint32_t)seat;
        out->prices[out->n++] = (int64_t)price;
        at = *end == ',' ? end + 1 : end;
    }
}

/* ---- error translation ---------------------------------------------------- */

struct store_constraint_code {
    const char *name;
    int code;
};

/* Constraint names from db/migrations/001_schema.sql and what breaking them means. */
static const struct store_constraint_code store_constraint_codes[] = {
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

/* store_oneline copies a libpq message into buf with its line breaks flattened: one event,
 * one log line. */
static const char *store_oneline(const char *msg, char *buf, size_t len)
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

static int store_connection_lost(const struct store *s, const char *sqlstate)
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

    if (store_connection_lost(s, state)) {
        BO_WARN("store: %s: connection lost: %s", what,
                store_oneline(PQerrorMessage(s->conn), msg, sizeof(msg)));
        /* Inside an open transaction nothing is committed until COMMIT, which is a write. */
        return write ? STORE_E_LOST_UNSAFE : STORE_E_LOST;
    }
    if (state != NULL) {
        if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
            return STORE_E_RETRY;
        }
        if (cons != NULL && (strcmp(state, "23505") == 0 || strcmp(state, "23503") == 0 ||
                             strcmp(state, "23514") == 0)) {
            for (size_t i = 0;
                 i < sizeof(store_constraint_codes) / sizeof(store_constraint_codes[0]); i++) {
                if (strcmp(cons, store_constraint_codes[i].name) == 0) {
                    return store_constraint_codes[i].code;
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
           store_oneline(res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(s->conn), msg,
                         sizeof(msg)));
    return BO_E_INTERNAL;
}

/* ---- statements ----------------------------------------------------------- */

/* store_prepare prepares statement id on this connection the first time it is used. */
static int store_prepare(struct store *s, enum store_stmt_id id)
{
    const struct store_stmt *st = &store_stmts[id];
    uint64_t bit = (uint64_t)1 << id;
    if (s->prepared & bit) {
        return BO_OK;
    }
    PGresult *res = PQprepare(s->conn, st->name, st->sql, 0, NULL);
    int rc = BO_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = store_translate(s, res, st->name, 0);
    } else {
        s->prepared |= bit;
    }
    PQclear(res);
    return rc;
}

/* store_result_check translates res unless it succeeded; on failure it clears res. */
static int store_result_check(struct store *s, PGresult *res, const char *what, int write)
{
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        return BO_OK;
    }
    int rc = store_translate(s, res, what, write);
    PQclear(res);
    return rc;
}

int store_exec(struct store *s, enum store_stmt_id id, const struct store_params *p, PGresult **out)
{
    const struct store_stmt *st = &store_stmts[id];
    int rc = store_prepare(s, id);
    if (rc != BO_OK) {
        return rc;
    }
    PGresult *res = PQexecPrepared(s->conn, st->name, p != NULL ? p->n : 0, p != NULL ? p->v : NULL,
                                   NULL, NULL, 0);
    if ((rc = store_result_check(s, res, st->name, st->write && !s->in_tx)) == BO_OK) {
        *out = res;
    }
    return rc;
}

int store_exec_query(struct store *s, struct store_query *q)
{
    PGresult *res;
    int rc = store_exec(s, q->stmt, &q->params, &res);
    if (rc != BO_OK) {
        return rc;
    }
    size_t rows = (size_t)PQntuples(res);
    char *items = q->out;
    if (rows == 0 && q->missing != BO_OK) {
        rc = q->missing;
    } else if (q->alloc && (items = calloc(rows > 0 ? rows : 1, q->size)) == NULL) {
        rc = BO_E_NOMEM;
    } else {
        if (!q->alloc && rows > q->cap) {
            rows = q->cap;
        }
        for (size_t i = 0; i < rows && q->read != NULL; i++) {
            q->read(res, (int)i, items + i * q->size);
        }
        q->out = items;
        q->n = rows;
    }
    PQclear(res);
    return rc;
}

int store_command_result(struct store *s, const char *sql, const char *what, int write,
                         const struct store_params *p, PGresult **out)
{
    PGresult *res = p == NULL ? PQexec(s->conn, sql)
                              : PQexecParams(s->conn, sql, p->n, NULL, p->v, NULL, NULL, 0);
    int rc = store_result_check(s, res, what, write);
    if (rc == BO_OK) {
        if (out != NULL) {
            *out = res;
        } else {
            PQclear(res);
        }
    }
    return rc;
}

int store_command(struct store *s, const char *sql, const char *what, int write)
{
    return store_command_result(s, sql, what, write, NULL, NULL);
}

/* ---- transactions --------------------------------------------------------- */

int store_begin(struct store *s)
{
    int rc = store_command(s, "BEGIN", "begin", 0);
    if (rc == BO_OK) {
        s->in_tx = 1;
    }
    return rc;
}

int store_commit(struct store *s)
{
    int rc = store_command(s, "COMMIT", "commit", 1);
    s->in_tx = 0;
    return rc;
}

void store_rollback(struct store *s)
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

/* ---- the runner ----------------------------------------------------------- */

/* store_reset reconnects; prepared statements died with the old session. */
static int store_reset(struct store *s)
{
    PQreset(s->conn);
    s->prepared = 0;
    s->in_tx = 0;
    if (PQstatus(s->conn) != CONNECTION_OK) {
        char msg[512];
        BO_WARN("store: reconnect failed: %s",
                store_oneline(PQerrorMessage(s->conn), msg, sizeof(msg)));
        return BO_E_UNAVAILABLE;
    }
    BO_INFO("store: reconnected");
    return BO_OK;
}

/*
 * store_stale reports whether the server spoke on an idle connection unasked. Between
 * statements PostgreSQL speaks only to say goodbye (a restart, an administrator, an idle
 * timeout: a FATAL, then the close), or to report a setting a reload changed. Found before a
 * statement goes out, such a connection is made again: a write outside a transaction is never
 * sent twice, so one sent on a dead connection could only fail (after a restart, the first
 * write of every worker did).
 */
static int store_stale(const struct store *s)
{
    struct pollfd p = {.fd = PQsocket(s->conn), .events = POLLIN};

    return p.fd >= 0 && poll(&p, 1, 0) > 0;
}

int store_run(struct store *s, store_op op, void *arg)
{
    int rc = BO_E_INTERNAL;
    int lost_retried = 0;

    if ((PQstatus(s->conn) != CONNECTION_OK || store_stale(s)) && store_reset(s) != BO_OK) {
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

static int store_op_query(struct store *s, void *arg)
{
    return store_exec_query(s, arg);
}

int store_run_query(struct store *s, struct store_query *q)
{
    return store_run(s, store_op_query, q);
}

int store_exists(struct store *s, enum store_stmt_id st, uint64_t id, int missing)
{
    struct store_query q = STORE_QUERY(st, NULL, NULL, missing);
    store_param_u64(&q.params, id);
    return store_run_query(s, &q);
}

/* ---- lifecycle ------------------------------------------------------------ */

static void store_notice(void *arg, const char *message)
{
    char msg[512];
    (void)arg;
    BO_DEBUG("store: postgres: %s", store_oneline(message, msg, sizeof(msg)));
}

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
        BO_WARN("store: cannot connect: %s",
                store_oneline(PQerrorMessage(s->conn), msg, sizeof(msg)));
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

static int store_op_ping(struct store *s, void *arg)
{
    (void)arg;
    return store_command(s, "SELECT 1", "ping", 0);
}

int store_ping(struct store *s)
{
    return store_run(s, store_op_ping, NULL);
}
