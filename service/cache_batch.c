/*
 * cache_batch: calls of many worker threads sent to Redis in shared pipelines (see cache.h).
 *
 * Grouped by bo_group with one send in flight: a caller that finds no pipeline out becomes the
 * sender. It takes every call waiting (its own among them, CACHE_BATCH_MAX at most), sends them
 * in one write on the batch's connection, reads their replies and hands each caller its reply;
 * the first call that queued meanwhile sends the next pipeline. A lone call is thus sent at
 * once, as on a connection of its own; under load the calls that arrive during one round trip
 * go together in the next. Only repeatable calls come here (cache_conn_run decides), so a
 * pipeline lost with its connection is sent again whole.
 */
#include "cache_conn.h"

#include "bo_error.h"
#include "bo_group.h"

#include <stddef.h>
#include <stdlib.h>

/* Calls one pipeline carries at most (more wait for the next). */
#define CACHE_BATCH_MAX 64

/* One waiting call, on its caller's stack. */
struct cache_batch_call {
    struct bo_group_item item;
    const struct cache_args *args;
    redisReply *reply;
    int rc;
};

struct cache_batch {
    struct bo_group group;
    struct cache *conn; /* used by the sender only */
};

/* cache_batch_send is the group's send: the calls of items[0..n) in one pipeline. */
static void cache_batch_send(void *arg, struct bo_group_item *const *items, size_t n)
{
    struct cache_batch *b = arg;
    struct cache_batch_call *calls[CACHE_BATCH_MAX];
    const struct cache_args *cmds[CACHE_BATCH_MAX] = {0};
    redisReply *replies[CACHE_BATCH_MAX];
    int codes[CACHE_BATCH_MAX];
    int rc;

    for (size_t i = 0; i < n; i++) {
        calls[i] =
            (struct cache_batch_call *)((char *)items[i] - offsetof(struct cache_batch_call, item));
        cmds[i] = calls[i]->args;
    }
    rc = cache_conn_run_each(b->conn, CACHE_RETRY_ANY, cmds, n, replies, codes);
    for (size_t i = 0; i < n; i++) {
        calls[i]->rc = rc != BO_OK ? rc : codes[i];
        calls[i]->reply = rc != BO_OK ? NULL : replies[i];
    }
}

int cache_batch_open(const char *url, struct cache_batch **out)
{
    struct cache_batch *b = calloc(1, sizeof(*b));
    int rc;

    if (b == NULL) {
        return BO_E_NOMEM;
    }
    if (bo_group_init(&b->group, CACHE_BATCH_MAX, 1, cache_batch_send, b) != 0) {
        free(b);
        return BO_E_INTERNAL;
    }
    if ((rc = cache_open(url, &b->conn)) != BO_OK) {
        cache_batch_close(b);
        return rc;
    }
    *out = b;
    return BO_OK;
}

void cache_batch_close(struct cache_batch *b)
{
    if (b == NULL) {
        return;
    }
    cache_close(b->conn);
    bo_group_fini(&b->group);
    free(b);
}

int cache_batch_call(struct cache_batch *b, const struct cache_args *a, redisReply **out)
{
    struct cache_batch_call call = {.args = a};

    if (bo_group_join(&b->group, &call.item) != 0) {
        return BO_E_INTERNAL;
    }
    if (call.rc == BO_OK) {
        *out = call.reply;
    }
    return call.rc;
}
