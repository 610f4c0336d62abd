/*
 * cache_conn: the Redis connection under the cache's operations. Internal: included by
 * service/cache_*.c only, so hiredis reaches no other part of the service.
 *
 * One struct cache is one hiredis connection owned by one thread. Connecting authenticates,
 * selects the database and loads the boxoffice function library (service/lua/boxoffice.lua,
 * FUNCTION LOAD REPLACE) in one round trip. Every command, function call and pipeline goes
 * through cache_conn_run (a single repeatable call of a cache with a batch attached goes on
 * through cache_batch, whose own connection sends it), the one place that reconnects: after a lost
 * connection, or a server that no longer has the library, the batch is sent again once when that is
 * safe. Error replies are logged and turned into status codes there, so callers only see good
 * replies.
 */
#ifndef SVC_CACHE_CONN_H
#define SVC_CACHE_CONN_H

#include "cache.h"

#include <hiredis/hiredis.h>

#include <stddef.h>
#include <stdint.h>

#define CACHE_ARGS_MAX 32 /* HSET, the key and the 12 limits as field-value pairs: 26 */

/* The text of service/lua/boxoffice.lua, embedded by the build (generated cache_lua.c). */
extern const char cache_lua_library[];

/* How a command may be repeated after the connection failed under it. */
enum cache_retry {
    CACHE_RETRY_ANY,    /* idempotent: repeat after any connection failure */
    CACHE_RETRY_UNSENT, /* changes state: repeat only if it cannot have run */
};

/* Arguments of one command. Numbers are formatted into the struct itself, so a filled struct
 * is used where it is and never copied. Start from {0}. */
struct cache_args {
    int n;
    const char *argv[CACHE_ARGS_MAX];
    size_t len[CACHE_ARGS_MAX];
    char num[CACHE_ARGS_MAX][24];
};

/* cache_args_str adds the string s (borrowed until the command is sent). */
void cache_args_str(struct cache_args *a, const char *s);

/* cache_args_buf adds len bytes at p (borrowed until the command is sent). */
void cache_args_buf(struct cache_args *a, const char *p, size_t len);

/* cache_args_u64 adds v in decimal. */
void cache_args_u64(struct cache_args *a, uint64_t v);

/* cache_args_i64 adds v in decimal. */
void cache_args_i64(struct cache_args *a, int64_t v);

/* cache_args_fcall starts a call of the library's function (a string constant): "FCALL function
 * 0"; the function's arguments follow. */
void cache_args_fcall(struct cache_args *a, const char *function);

/* Most commands one pipeline of cache_conn_run carries (BO_E_INVALID_ARGUMENT beyond). */
#define CACHE_RUN_MAX 16

/*
 * cache_conn_run sends cmds[0..k) (1..CACHE_RUN_MAX) in one pipeline (one round trip) and reads
 * their replies into replies[0..k), connecting first if needed. After a lost connection, or when
 * the server lacks the library, it reconnects and sends the batch once more if retry allows (or
 * nothing of it can have run). An error reply is logged and its code returned. On BO_OK the caller
 * frees every replies[i] with freeReplyObject; otherwise none is left.
 */
CACHE_WUR int cache_conn_run(struct cache *c, enum cache_retry retry, const struct cache_args *cmds,
                             size_t k, redisReply **replies);

/* cache_conn_call_deferrable is cache_conn_call for a call that a Batch served in passes may
 * collect (cache_defer in cache.h): while c serves such a call it answers from the outcome kept
 * for it, or collects the command and fails BO_E_UNAVAILABLE. */
CACHE_WUR int cache_conn_call_deferrable(struct cache *c, enum cache_retry retry,
                                         const struct cache_args *a, redisReply **out);

/* The passes state of c (cache_defer.c); NULL until its first cache_defer_begin. */
struct cache_defer;
struct cache_defer **cache_conn_defer(struct cache *c);

/* cache_defer_free frees what d holds (at cache_close); safe on NULL. */
void cache_defer_free(struct cache_defer *d);

/* cache_conn_run_each sends the independent commands cmds[0..k) in one pipeline (reconnecting
 * and sending them once more as cache_conn_run does with retry); an error reply is its own
 * command's: codes[i] receives each command's code (BO_OK: the caller frees replies[i]; else
 * replies[i] is NULL). Returns BO_OK when the replies came, else the failure of the whole
 * pipeline (no reply left). For cache_batch and the admission steps. */
CACHE_WUR int cache_conn_run_each(struct cache *c, enum cache_retry retry,
                                  const struct cache_args *const *cmds, size_t k,
                                  redisReply **replies, int *codes);

/* cache_batch_call sends the command a in b's next pipeline, with the calls of other threads
 * waiting at the same time, and returns its own reply in *out (the caller frees it) or its
 * code, as cache_conn_call with CACHE_RETRY_ANY does. */
CACHE_WUR int cache_batch_call(struct cache_batch *b, const struct cache_args *a, redisReply **out);

/* cache_conn_ended_keep_ms returns how long c's calls that can end a token keep ended records
 * (ms; cache_ended_keep_set), the keep_ms argument of those functions. */
int64_t cache_conn_ended_keep_ms(const struct cache *c);

/* cache_conn_call is cache_conn_run of the one command a; the caller frees *out. */
CACHE_WUR int cache_conn_call(struct cache *c, enum cache_retry retry, const struct cache_args *a,
                              redisReply **out);

/* cache_conn_exec is cache_conn_call for a command run for its effect: the reply is dropped. */
CACHE_WUR int cache_conn_exec(struct cache *c, enum cache_retry retry, const struct cache_args *a);

/* cache_conn_int is cache_conn_call for a command answering an integer (as cache_reply_i64
 * reads it), written to *out; BO_E_INTERNAL for any other reply. */
CACHE_WUR int cache_conn_int(struct cache *c, enum cache_retry retry, const struct cache_args *a,
                             int64_t *out);

/* The rate checks of one function call as sent (cache_rate_args): the index in the caller's
 * checks of each {kind, scope, limit} triple, as only checks with a limit are sent. */
struct cache_rate_sent {
    size_t index[CACHE_RATE_CHECKS_MAX];
    size_t n;
};

/* cache_rate_args adds the checks[0..n) that have a limit to a as {kind, scope, limit} triples
 * and writes which is which into *sent; BO_E_INVALID_ARGUMENT (a unchanged) for more than
 * CACHE_RATE_CHECKS_MAX checks or a kind or scope that is empty or too long. */
CACHE_WUR int cache_rate_args(struct cache_args *a, const struct cache_rate_check *checks, size_t n,
                              struct cache_rate_sent *sent);

/* cache_rate_refusal reads a function's answer {which, ms until that window ends} to the checks
 * sent: BO_OK when which is -1 (counted), BO_E_RATE_LIMITED with *retry_after_s (at least 1)
 * and *refused_index (the caller's index; both may be NULL) when which names a check sent,
 * BO_E_INTERNAL otherwise. */
CACHE_WUR int cache_rate_refusal(const redisReply *which, const redisReply *left,
                                 const struct cache_rate_sent *sent, uint32_t *retry_after_s,
                                 size_t *refused_index);

/* cache_reply_text copies a non-empty bulk string reply shorter than buflen into buf as a C
 * string and returns 1; returns 0 (buf untouched) for any other reply. */
int cache_reply_text(const redisReply *r, char *buf, size_t buflen);

/* cache_reply_i64 reads an integer reply, a nil (as 0), or a bulk string holding a decimal
 * integer; BO_E_INTERNAL otherwise. */
CACHE_WUR int cache_reply_i64(const redisReply *r, int64_t *out);

/* cache_reply_u64 reads an id, at most INT64_MAX, from an integer reply or a string of decimal
 * digits; BO_E_INTERNAL otherwise. */
CACHE_WUR int cache_reply_u64(const redisReply *r, uint64_t *out);

#endif
