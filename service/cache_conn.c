/*
 * cache_conn: the one hiredis connection of a struct cache (see cache_conn.h).
 *
 * Layers, low to high: command arguments, the address (parsed by bo_addr), the transport (one
 * pipeline out, its replies in), connecting (set-up and the function library), the one
 * reconnect-and-retry path, the public lifecycle calls, reply decoding.
 */
#include "cache_conn.h"

#include "bo_addr.h"
#include "bo_error.h"
#include "bo_log.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_CONNECT_TIMEOUT_MS 2000
/* Longer than any function takes; a hung server must not hang a worker forever. */
#define CACHE_COMMAND_TIMEOUT_MS 5000
#define CACHE_DEFAULT_PORT       6379
#define CACHE_DB_MAX             1000000
/* Commands of the connection set-up: AUTH, SELECT, FUNCTION LOAD. */
#define CACHE_SETUP_MAX 3

struct cache {
    redisContext *rc; /* NULL while disconnected */
    char host[BO_ADDR_HOST_MAX];
    int port;
    int db;
    char user[BO_ADDR_PART_MAX];
    char password[BO_ADDR_PART_MAX];
    int down; /* 1 from a failed connect until the next success: one log line per outage */
    struct cache_batch *batch; /* borrowed: where repeatable single calls go; NULL: none */
    int64_t ended_keep_ms;     /* how long the calls ending tokens keep their records */
    struct cache_defer *defer; /* owned: a Batch's calls served in passes; NULL: never yet */
};

/* ---- command arguments ------------------------------------------------------ */

void cache_args_buf(struct cache_args *a, const char *p, size_t len)
{
    a->argv[a->n] = p;
    a->len[a->n] = len;
    a->n++;
}

void cache_args_str(struct cache_args *a, const char *s)
{
    cache_args_buf(a, s, strlen(s));
}

void cache_args_u64(struct cache_args *a, uint64_t v)
{
    int len = snprintf(a->num[a->n], sizeof(a->num[0]), "%" PRIu64, v);
    cache_args_buf(a, a->num[a->n], (size_t)len);
}

void cache_args_i64(struct cache_args *a, int64_t v)
{
    int len = snprintf(a->num[a->n], sizeof(a->num[0]), "%" PRId64, v);
    cache_args_buf(a, a->num[a->n], (size_t)len);
}

void cache_args_fcall(struct cache_args *a, const char *function)
{
    cache_args_str(a, "FCALL");
    cache_args_str(a, function);
    cache_args_str(a, "0");
}

/* cache_args_name names a command in log lines: the function of an FCALL, else the command. */
static const char *cache_args_name(const struct cache_args *a)
{
    return a->n > 1 && strcmp(a->argv[0], "FCALL") == 0 ? a->argv[1] : a->argv[0];
}

/* ---- address ---------------------------------------------------------------- */

/* cache_db_parse reads the database number from a URL path: "" or "/" is 0, else "/N" with N
 * in 0..CACHE_DB_MAX. */
static int cache_db_parse(const char *path, int *db)
{
    long v = 0;
    size_t len;

    if (path[0] == '\0' || strcmp(path, "/") == 0) {
        *db = 0;
        return BO_OK;
    }
    len = strlen(path + 1);
    /* Seven digits at most: no overflow on the way to CACHE_DB_MAX. */
    if (len == 0 || len > 7 || strspn(path + 1, "0123456789") != len) {
        return BO_E_INVALID_ARGUMENT;
    }
    v = strtol(path + 1, NULL, 10);
    if (v > CACHE_DB_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    *db = (int)v;
    return BO_OK;
}

/* cache_address_set fills c's address from "redis://[[user]:password@]host[:port][/db]"; a URL
 * without a scheme ("host:port") is read as a redis:// one. As Redis clients do, a lone
 * "redis://secret@host" names a password. */
static int cache_address_set(struct cache *c, const char *url)
{
    char full[2048];
    struct bo_url u;
    int rc = BO_E_INVALID_ARGUMENT;

    memset(&u, 0, sizeof(u));
    memset(full, 0, sizeof(full));
    if (url == NULL || url[0] == '\0') {
        goto done;
    }
    if (strstr(url, "://") == NULL) {
        int len = snprintf(full, sizeof(full), "redis://%s", url);
        if (len < 0 || (size_t)len >= sizeof(full)) {
            goto done;
        }
        url = full;
    }
    /* Only plain redis://: rediss:// (TLS) and others are not supported. */
    if (bo_url_parse(url, &u) != BO_OK || strcmp(u.scheme, "redis") != 0 ||
        cache_db_parse(u.path, &c->db) != BO_OK) {
        goto done;
    }
    memcpy(c->host, u.host, sizeof(c->host));
    c->port = u.port != 0 ? u.port : CACHE_DEFAULT_PORT;
    if (u.has_password) {
        memcpy(c->user, u.user, sizeof(c->user));
        memcpy(c->password, u.password, sizeof(c->password));
    } else {
        memcpy(c->password, u.user, sizeof(c->password));
    }
    rc = BO_OK;
done:
    /* No copy of the password is left on the stack. */
    explicit_bzero(&u, sizeof(u));
    explicit_bzero(full, sizeof(full));
    return rc;
}

/* ---- transport ---------------------------------------------------------------- */

static void cache_disconnect(struct cache *c)
{
    if (c->rc != NULL) {
        redisFree(c->rc);
        c->rc = NULL;
    }
}

/* cache_stale tells whether an idle connection was closed by the server: Redis never speaks
 * unasked, so anything readable before a command is an EOF or an error. Catching it here lets
 * state-changing commands be sent again safely after a Redis restart. */
static int cache_stale(const struct cache *c)
{
    struct pollfd p = {.fd = c->rc->fd, .events = POLLIN};

    return poll(&p, 1, 0) != 0;
}

/* cache_transfer writes cmds[0..k) in one go and reads k replies into replies[]; *sent tells
 * whether every command reached the socket (and so may have run). On failure no reply is
 * left and the caller drops the connection. */
static int cache_transfer(struct cache *c, const struct cache_args *const *cmds, size_t k,
                          redisReply **replies, int *sent)
{
    size_t got = 0;
    int done = 0;

    *sent = 0;
    for (size_t i = 0; i < k; i++) {
        /* hiredis copies the command into its buffer: the arguments are free to go. It takes
         * argv as const char ** but only reads it. */
        if (redisAppendCommandArgv(c->rc, cmds[i]->n, (const char **)cmds[i]->argv, cmds[i]->len) !=
            REDIS_OK) {
            return BO_E_UNAVAILABLE;
        }
    }
    do {
        if (redisBufferWrite(c->rc, &done) != REDIS_OK) {
            return BO_E_UNAVAILABLE;
        }
    } while (!done);
    *sent = 1;
    for (; got < k; got++) {
        void *reply = NULL;
        if (redisGetReply(c->rc, &reply) != REDIS_OK) {
            for (size_t i = 0; i < got; i++) {
                freeReplyObject(replies[i]);
            }
            return BO_E_UNAVAILABLE;
        }
        replies[got] = reply;
    }
    return BO_OK;
}

/* cache_error_code maps a Redis error reply: a function or usage bug is INTERNAL, the server's
 * passing states (LOADING, BUSY, OOM, READONLY, ...) are UNAVAILABLE. */
static int cache_error_code(const redisReply *r)
{
    if (strncmp(r->str, "ERR", 3) == 0 || strncmp(r->str, "WRONGTYPE", 9) == 0) {
        return BO_E_INTERNAL;
    }
    return BO_E_UNAVAILABLE;
}

/* cache_missing_function tells whether r says the server does not have the called function
 * (FUNCTION FLUSH, or a server that lost the library): nothing ran. */
static int cache_missing_function(const redisReply *r)
{
    return r->type == REDIS_REPLY_ERROR && strcmp(r->str, "ERR Function not found") == 0;
}

/* cache_replies_check logs the first error reply among replies[0..k) and returns its code;
 * *missing receives how many replies are missing-function errors (those give no code). With
 * codes (not NULL) every reply is its own call's: codes[i] receives each one's code, every
 * error is logged, and BO_OK is returned. */
static int cache_replies_check(const struct cache *c, const struct cache_args *const *cmds,
                               size_t k, redisReply **replies, size_t *missing, int *codes)
{
    int rc = BO_OK;

    *missing = 0;
    for (size_t i = 0; i < k; i++) {
        const redisReply *r = replies[i];
        if (codes != NULL) {
            codes[i] = BO_OK;
        }
        if (cache_missing_function(r)) {
            (*missing)++;
        } else if (r->type == REDIS_REPLY_ERROR && (rc == BO_OK || codes != NULL)) {
            BO_ERR("redis %s:%d: %s: %s", c->host, c->port, cache_args_name(cmds[i]), r->str);
            if (codes != NULL) {
                codes[i] = cache_error_code(r);
            } else {
                rc = cache_error_code(r);
            }
        }
    }
    return rc;
}

/* ---- connecting ------------------------------------------------------------------ */

/* cache_setup authenticates, selects the database and loads the function library, pipelined
 * into one round trip. */
static int cache_setup(struct cache *c)
{
    struct cache_args cmds[CACHE_SETUP_MAX];
    const struct cache_args *ptrs[CACHE_SETUP_MAX];
    redisReply *replies[CACHE_SETUP_MAX];
    size_t k = 0, missing = 0;
    int sent = 0;
    int rc;

    memset(cmds, 0, sizeof(cmds));
    if (c->password[0] != '\0') {
        cache_args_str(&cmds[k], "AUTH");
        if (c->user[0] != '\0') {
            cache_args_str(&cmds[k], c->user);
        }
        cache_args_str(&cmds[k++], c->password);
    }
    if (c->db != 0) {
        cache_args_str(&cmds[k], "SELECT");
        cache_args_u64(&cmds[k++], (uint64_t)c->db);
    }
    cache_args_str(&cmds[k], "FUNCTION");
    cache_args_str(&cmds[k], "LOAD");
    cache_args_str(&cmds[k], "REPLACE");
    cache_args_str(&cmds[k++], cache_lua_library);
    for (size_t i = 0; i < k; i++) {
        ptrs[i] = &cmds[i];
    }
    if (cache_transfer(c, ptrs, k, replies, &sent) != BO_OK) {
        BO_ERR("redis %s:%d: %s", c->host, c->port, c->rc->errstr);
        return BO_E_UNAVAILABLE;
    }
    rc = cache_replies_check(c, ptrs, k, replies, &missing, NULL);
    if (rc == BO_OK && replies[k - 1]->type != REDIS_REPLY_STRING) {
        BO_ERR("redis %s:%d: unexpected FUNCTION LOAD reply", c->host, c->port);
        rc = BO_E_INTERNAL;
    }
    for (size_t i = 0; i < k; i++) {
        freeReplyObject(replies[i]);
    }
    return rc;
}

/* cache_connect (re)opens the connection; logs a failure once per outage. */
static int cache_connect(struct cache *c)
{
    struct timeval ct = {CACHE_CONNECT_TIMEOUT_MS / 1000, (CACHE_CONNECT_TIMEOUT_MS % 1000) * 1000};
    struct timeval rt = {CACHE_COMMAND_TIMEOUT_MS / 1000, (CACHE_COMMAND_TIMEOUT_MS % 1000) * 1000};
    int rc = BO_E_UNAVAILABLE;

    cache_disconnect(c);
    c->rc = redisConnectWithTimeout(c->host, c->port, ct);
    if (c->rc == NULL || c->rc->err != 0) {
        if (!c->down) {
            BO_ERR("redis %s:%d: cannot connect: %s", c->host, c->port,
                   c->rc != NULL ? c->rc->errstr : "out of memory");
        }
        goto fail;
    }
    if (redisSetTimeout(c->rc, rt) != REDIS_OK || redisEnableKeepAlive(c->rc) != REDIS_OK) {
        BO_ERR("redis %s:%d: socket options: %s", c->host, c->port, c->rc->errstr);
        goto fail;
    }
    rc = cache_setup(c);
    if (rc != BO_OK) {
        goto fail;
    }
    if (c->down) {
        BO_INFO("redis %s:%d: reachable again", c->host, c->port);
        c->down = 0;
    }
    return BO_OK;
fail:
    c->down = 1;
    cache_disconnect(c);
    return rc;
}

/* ---- the one round trip ------------------------------------------------------------ */

/* cache_run is cache_conn_run of the commands cmds[0..k) point to; with codes (not NULL) an
 * error reply is its own command's: codes[i] receives each command's code, the replies of errors
 * are freed and NULL, and BO_OK means the round trip was made. */
static int cache_run(struct cache *c, enum cache_retry retry, const struct cache_args *const *cmds,
                     size_t k, redisReply **replies, int *codes)
{
    for (int attempt = 0;; attempt++) {
        const char *lost; /* why the batch needs a new connection */
        size_t missing = 0;
        int ran = 0; /* some of the batch may have run */
        int rc;

        if (c->rc == NULL || cache_stale(c)) {
            rc = cache_connect(c);
            if (rc != BO_OK) {
                return rc;
            }
        }
        rc = cache_transfer(c, cmds, k, replies, &ran);
        if (rc == BO_OK) {
            rc = cache_replies_check(c, cmds, k, replies, &missing, codes);
            if (rc == BO_OK && missing == 0) {
                for (size_t i = 0; codes != NULL && i < k; i++) {
                    if (codes[i] != BO_OK) {
                        freeReplyObject(replies[i]);
                        replies[i] = NULL;
                    }
                }
                return BO_OK;
            }
            for (size_t i = 0; i < k; i++) {
                freeReplyObject(replies[i]);
            }
            if (rc != BO_OK) {
                return rc;
            }
            /* FUNCTION FLUSH: the calls that met it did not run; a new connection loads the
             * library again. */
            lost = "function library missing";
            ran = missing < k;
        } else {
            lost = c->rc->errstr;
        }
        if (attempt > 0 || (ran && retry == CACHE_RETRY_UNSENT)) {
            BO_ERR("redis %s:%d: %s failed: %s", c->host, c->port, cache_args_name(cmds[0]), lost);
            cache_disconnect(c);
            return BO_E_UNAVAILABLE;
        }
        BO_WARN("redis %s:%d: %s: %s, reconnecting", c->host, c->port, cache_args_name(cmds[0]),
                lost);
        cache_disconnect(c);
    }
}

int cache_conn_run(struct cache *c, enum cache_retry retry, const struct cache_args *cmds, size_t k,
                   redisReply **replies)
{
    const struct cache_args *ptrs[CACHE_RUN_MAX];

    if (k == 0 || k > CACHE_RUN_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    if (k == 1 && retry == CACHE_RETRY_ANY && c->batch != NULL) {
        return cache_batch_call(c->batch, cmds, replies);
    }
    for (size_t i = 0; i < k; i++) {
        ptrs[i] = &cmds[i];
    }
    return cache_run(c, retry, ptrs, k, replies, NULL);
}

int cache_conn_run_each(struct cache *c, enum cache_retry retry,
                        const struct cache_args *const *cmds, size_t k, redisReply **replies,
                        int *codes)
{
    return cache_run(c, retry, cmds, k, replies, codes);
}

struct cache_defer **cache_conn_defer(struct cache *c)
{
    return &c->defer;
}

void cache_batch_attach(struct cache *c, struct cache_batch *b)
{
    c->batch = b;
}

void cache_ended_keep_set(struct cache *c, int64_t keep_ms)
{
    c->ended_keep_ms = keep_ms > 0 ? keep_ms : CACHE_ENDED_KEEP_MS;
}

int64_t cache_conn_ended_keep_ms(const struct cache *c)
{
    return c->ended_keep_ms;
}

int cache_conn_call(struct cache *c, enum cache_retry retry, const struct cache_args *a,
                    redisReply **out)
{
    return cache_conn_run(c, retry, a, 1, out);
}

int cache_conn_exec(struct cache *c, enum cache_retry retry, const struct cache_args *a)
{
    redisReply *r = NULL;
    int rc = cache_conn_run(c, retry, a, 1, &r);

    if (rc == BO_OK) {
        freeReplyObject(r);
    }
    return rc;
}

int cache_conn_int(struct cache *c, enum cache_retry retry, const struct cache_args *a,
                   int64_t *out)
{
    redisReply *r = NULL;
    int64_t v = 0;
    int rc = cache_conn_run(c, retry, a, 1, &r);

    if (rc != BO_OK) {
        return rc;
    }
    rc = cache_reply_i64(r, &v);
    freeReplyObject(r);
    if (rc == BO_OK) {
        *out = v;
    }
    return rc;
}

/* ---- lifecycle ----------------------------------------------------------------------- */

int cache_open(const char *url, struct cache **out)
{
    struct cache *c = calloc(1, sizeof(*c));
    int rc;

    if (c == NULL) {
        return BO_E_NOMEM;
    }
    c->ended_keep_ms = CACHE_ENDED_KEEP_MS;
    rc = cache_address_set(c, url);
    if (rc != BO_OK) {
        BO_ERR("redis: cannot parse URL (expected redis://[[user]:password@]host[:port][/db] or "
               "host:port)");
        goto fail;
    }
    rc = cache_connect(c);
    if (rc != BO_OK) {
        goto fail;
    }
    *out = c;
    return BO_OK;
fail:
    cache_close(c);
    return rc;
}

void cache_close(struct cache *c)
{
    if (c == NULL) {
        return;
    }
    cache_disconnect(c);
    cache_defer_free(c->defer);
    explicit_bzero(c->password, sizeof(c->password));
    free(c);
}

int cache_ping(struct cache *c)
{
    struct cache_args a = {0};

    cache_args_str(&a, "PING");
    return cache_conn_exec(c, CACHE_RETRY_ANY, &a);
}

/* ---- reply decoding -------------------------------------------------------------------- */

int cache_reply_text(const redisReply *r, char *buf, size_t buflen)
{
    if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len >= buflen) {
        return 0;
    }
    memcpy(buf, r->str, r->len);
    buf[r->len] = '\0';
    return 1;
}

int cache_reply_i64(const redisReply *r, int64_t *out)
{
    char buf[32];
    char *end = NULL;
    long long v;

    if (r->type == REDIS_REPLY_INTEGER) {
        *out = (int64_t)r->integer;
        return BO_OK;
    }
    if (r->type == REDIS_REPLY_NIL) {
        *out = 0;
        return BO_OK;
    }
    if (!cache_reply_text(r, buf, sizeof(buf))) {
        return BO_E_INTERNAL;
    }
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno != 0 || *end != '\0') {
        return BO_E_INTERNAL;
    }
    *out = (int64_t)v;
    return BO_OK;
}

int cache_reply_u64(const redisReply *r, uint64_t *out)
{
    int digits =
        r->type == REDIS_REPLY_STRING && r->len > 0 && r->str[0] >= '0' && r->str[0] <= '9';
    int64_t v;

    /* What the functions send unsigned (ids, counts, positions, times) fits an int64_t. */
    if ((r->type != REDIS_REPLY_INTEGER && !digits) || cache_reply_i64(r, &v) != BO_OK || v < 0) {
        return BO_E_INTERNAL;
    }
    *out = (uint64_t)v;
    return BO_OK;
}
