/*
 * store_conn: the layer under the store's operation files (service/store_*.c only; libpq is
 * seen by nobody else).
 *
 * One struct store is one connection owned by one thread. The prepared statements are written
 * in service/sql/store.sql; the build turns each into an id, STORE_ST_<NAME> of enum
 * store_stmt_id, and a row of store_stmts. Each is prepared lazily, once per session, marked
 * by its bit in store.prepared. Errors are translated here, once.
 *
 * An operation is a function run by store_run, which resets a lost connection and retries
 * what may be retried. A query (struct store_query) is one prepared statement with its
 * parameters and a row reader: store_exec_query runs it inside an operation, store_run_query
 * as a whole operation.
 */
#ifndef SVC_STORE_CONN_H
#define SVC_STORE_CONN_H

#include "bo_error.h"
#include "store.h"
#include "store_sql.h" /* enum store_stmt_id: generated from sql/store.sql */

#include <libpq-fe.h>

/* Private result codes that never leave the store: store_run maps the first three, and an
 * operation that asks for STORE_E_NO_ROW maps it itself. */
#define STORE_E_RETRY       (BO_E_COUNT_ + 1) /* serialization failure or deadlock */
#define STORE_E_LOST        (BO_E_COUNT_ + 2) /* connection lost, nothing applied */
#define STORE_E_LOST_UNSAFE (BO_E_COUNT_ + 3) /* connection lost, a write may have applied */
#define STORE_E_NO_ROW      (BO_E_COUNT_ + 4) /* a query's "missing" code handled by its caller */

#define STORE_MAX_PARAMS 8

struct store {
    PGconn *conn;
    uint64_t prepared; /* bit i set: statement i is prepared on this connection */
    int in_tx;         /* an explicit transaction is open */
};

_Static_assert(STORE_ST_COUNT_ <= 64, "store.prepared has one bit per statement");

struct store_stmt {
    const char *name; /* prepared and logged under this name */
    int write;        /* changes data: a lost connection leaves the outcome unknown */
    const char *sql;
};

/* The statements, by id (generated from sql/store.sql). */
extern const struct store_stmt store_stmts[STORE_ST_COUNT_];

/* Text parameters of one statement; numbers are formatted into buf. */
struct store_params {
    int n;
    const char *v[STORE_MAX_PARAMS];
    char buf[STORE_MAX_PARAMS][24];
};

/* A row reader copies row `row` of res into the record at out. */
typedef void (*store_row_fn)(const PGresult *res, int row, void *out);

/*
 * A query: stmt run with params, its rows read by read (NULL: not read) into consecutive
 * records of size bytes: at most cap of them at out (1 for a one-row query), or, with alloc,
 * all of them into a new array left at out (caller frees with free()). n receives how many
 * rows were read; missing is the code when no row comes back (BO_OK: none is fine).
 */
struct store_query {
    enum store_stmt_id stmt;
    struct store_params params;
    store_row_fn read;
    void *out;
    size_t size;
    size_t cap;
    int alloc;
    size_t n;
    int missing;
};

/* STORE_QUERY initializes a one-row query of st, its row read by read_fn into out. */
#define STORE_QUERY(st, read_fn, out_ptr, missing_code)                                            \
    {                                                                                              \
        .stmt = (st), .read = (read_fn), .out = (out_ptr), .cap = 1, .missing = (missing_code)     \
    }

/* STORE_LIST initializes a query of st whose rows read_fn reads into the cap_n records of type
 * rec at out_ptr. */
#define STORE_LIST(st, read_fn, rec, out_ptr, cap_n, missing_code)                                 \
    {                                                                                              \
        .stmt = (st), .read = (read_fn), .out = (out_ptr), .size = sizeof(rec), .cap = (cap_n),    \
        .missing = (missing_code)                                                                  \
    }

/* STORE_LIST_NEW initializes a query of st whose rows read_fn reads into a new array of rec. */
#define STORE_LIST_NEW(st, read_fn, rec)                                                           \
    {                                                                                              \
        .stmt = (st), .read = (read_fn), .size = sizeof(rec), .alloc = 1, .missing = BO_OK         \
    }

/* An operation: run by store_run, possibly more than once. */
typedef int (*store_op)(struct store *s, void *arg);

/* ---- parameters and values ------------------------------------------------ */

/* store_param_u64 appends x as a parameter. */
void store_param_u64(struct store_params *p, uint64_t x);

/* store_param_i64 appends x as a parameter. */
void store_param_i64(struct store_params *p, int64_t x);

/* store_param_text appends text, borrowed until the statement has run; NULL is SQL NULL. */
void store_param_text(struct store_params *p, const char *text);

/* store_param_id appends id, or SQL NULL when id is 0 (no id). */
void store_param_id(struct store_params *p, uint64_t id);

/*
 * store_row_scan reads columns 0, 1, ... of row into the targets after fmt, one letter per
 * column: 'U' uint64_t *, 'u' uint32_t *, 'I' int64_t *, 'i' int *, 'r' int * (a reservation
 * status name as enum reservation_status), 'b' int * (a boolean as 0 or 1), 't' char *
 * followed by its size_t size (text, truncated). Another letter is a programmer error.
 */
void store_row_scan(const PGresult *res, int row, const char *fmt, ...);

/* Room for the text of a hold's seats ("seat:price,..."). */
#define STORE_SEAT_LIST_TEXT (HOLD_SEATS_MAX * 32 + 1)

/* store_seat_list_parse reads "seat:price,seat:price,..." (bo_hold_seats) into out; text that is
 * empty or does not parse (NULL in SQL) gives no seats. */
void store_seat_list_parse(const char *text, struct seat_list *out);

/* store_row_u64 is a row reader of column 0 into a uint64_t. */
void store_row_u64(const PGresult *res, int row, void *out);

/* store_row_i64 is a row reader of column 0 into an int64_t. */
void store_row_i64(const PGresult *res, int row, void *out);

/* ---- statements and transactions (inside an operation) -------------------- */

/* store_exec runs prepared statement st; on BO_OK *out is its result (caller clears). */
STORE_WUR int store_exec(struct store *s, enum store_stmt_id st, const struct store_params *p,
                         PGresult **out);

/* store_exec_query runs q and reads its rows (see struct store_query): BO_OK, or q->missing
 * when no row came back and that is not BO_OK. */
STORE_WUR int store_exec_query(struct store *s, struct store_query *q);

/* store_command runs a fixed command without parameters (BEGIN, COMMIT, a whole file). */
STORE_WUR int store_command(struct store *s, const char *sql, const char *what, int write);

/* store_command_result runs sql unprepared: as a simple query when p is NULL, else with the
 * parameters. On BO_OK *out, when out is not NULL, is its result (caller clears). */
STORE_WUR int store_command_result(struct store *s, const char *sql, const char *what, int write,
                                   const struct store_params *p, PGresult **out);

/* store_begin opens an explicit transaction; store_run rolls back whatever is left open. */
STORE_WUR int store_begin(struct store *s);

/* store_commit commits; its outcome is unknown when the connection drops during it. */
STORE_WUR int store_commit(struct store *s);

/* store_rollback ends an open transaction; its own failure changes nothing for the caller. */
void store_rollback(struct store *s);

/* ---- operations ----------------------------------------------------------- */

/*
 * store_run runs op on a working connection: serialization failures and deadlocks retry
 * the whole operation, a lost connection is reset and the operation retried once when
 * nothing of it can have been applied, else the caller gets BO_E_UNAVAILABLE. Other codes,
 * STORE_E_NO_ROW included, come back unchanged.
 */
STORE_WUR int store_run(struct store *s, store_op op, void *arg);

/* store_run_query runs q with store_exec_query as one operation. */
STORE_WUR int store_run_query(struct store *s, struct store_query *q);

/* store_exists runs st with the one parameter id as one operation: BO_OK when it returns a
 * row, else missing. */
STORE_WUR int store_exists(struct store *s, enum store_stmt_id st, uint64_t id, int missing);

#endif
