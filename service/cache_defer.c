/*
 * cache_defer: a Batch's calls served in passes, their Redis commands in one pipeline a pass
 * (see cache.h).
 *
 * Each call keeps the outcomes of its commands already run, in the order it made them. A serve
 * replays them in that order, each checked against a print of the command asking (its name,
 * first argument and count): a serve that asks otherwise than before is refused rather than
 * handed another command's reply. Replies are handed out as copies, since the call's caller
 * frees what it gets and a later pass may replay the same outcome again.
 */
#include "cache_conn.h"

#include "bo_error.h"
#include "bo_log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_DEFER_NONE ((size_t)-1)

/* What one command run for a call came to. */
struct cache_defer_outcome {
    uint32_t print;
    int rc;            /* BO_OK: reply is Redis's answer */
    redisReply *reply; /* owned */
};

struct cache_defer_call {
    struct cache_defer_outcome kept[CACHE_DEFER_DEPTH];
    size_t n_kept;
    int collected; /* a command of it waits for the next flush */
};

/* A command collected for the next pipeline, its arguments copied into bytes. */
struct cache_defer_cmd {
    size_t call;
    uint32_t print;
    enum cache_retry retry;
    struct cache_args args;
    char *bytes; /* owned: what args points into */
};

struct cache_defer {
    size_t n, cap;                  /* calls served in passes; room for */
    struct cache_defer_call *calls; /* cap of them */
    struct cache_defer_cmd *cmds;   /* cap of them: a serve collects one command at most */
    size_t n_cmds;
    size_t current; /* the call being served, or CACHE_DEFER_NONE */
    size_t cursor;  /* of its outcomes, how many this serve replayed */
    int stopped;    /* this serve collected a command */
};

/* cache_defer_print is FNV-1a over a's count, name and first argument. */
static uint32_t cache_defer_print(const struct cache_args *a)
{
    uint32_t h = 2166136261u ^ (uint32_t)a->n;

    for (int i = 0; i < a->n && i < 2; i++) {
        for (size_t j = 0; j < a->len[i]; j++) {
            h = (h ^ (unsigned char)a->argv[i][j]) * 16777619u;
        }
        h = (h ^ 0xffu) * 16777619u;
    }
    return h;
}

/* cache_reply_copy copies r deeply, allocated as hiredis does, so freeReplyObject frees it. NULL
 * when memory ran out. */
static redisReply *cache_reply_copy(const redisReply *r)
{
    redisReply *c = malloc(sizeof(*c));

    if (c == NULL) {
        return NULL;
    }
    *c = *r;
    c->str = NULL;
    c->element = NULL;
    if (r->str != NULL) {
        if ((c->str = malloc(r->len + 1)) == NULL) {
            free(c);
            return NULL;
        }
        memcpy(c->str, r->str, r->len);
        c->str[r->len] = '\0';
    }
    if (r->element != NULL) {
        if ((c->element = calloc(r->elements > 0 ? r->elements : 1, sizeof(*c->element))) == NULL) {
            freeReplyObject(c);
            return NULL;
        }
        for (size_t i = 0; i < r->elements; i++) {
            if ((c->element[i] = cache_reply_copy(r->element[i])) == NULL) {
                freeReplyObject(c);
                return NULL;
            }
        }
    }
    return c;
}

/* cache_defer_collect copies a into d's next command for the call being served. */
static int cache_defer_collect(struct cache_defer *d, enum cache_retry retry,
                               const struct cache_args *a, uint32_t print)
{
    struct cache_defer_cmd *cmd = &d->cmds[d->n_cmds];
    size_t total = 0, at = 0;

    for (int i = 0; i < a->n; i++) {
        total += a->len[i];
    }
    if ((cmd->bytes = malloc(total > 0 ? total : 1)) == NULL) {
        return BO_E_NOMEM;
    }
    cmd->args.n = 0;
    for (int i = 0; i < a->n; i++) {
        memcpy(cmd->bytes + at, a->argv[i], a->len[i]);
        cache_args_buf(&cmd->args, cmd->bytes + at, a->len[i]);
        at += a->len[i];
    }
    cmd->call = d->current;
    cmd->print = print;
    cmd->retry = retry;
    d->calls[d->current].collected = 1;
    d->n_cmds++;
    return BO_OK;
}

int cache_conn_call_deferrable(struct cache *c, enum cache_retry retry, const struct cache_args *a,
                               redisReply **out)
{
    struct cache_defer *d = *cache_conn_defer(c);
    struct cache_defer_call *call;
    uint32_t print;
    int rc;

    if (d == NULL || d->current == CACHE_DEFER_NONE) {
        return cache_conn_call(c, retry, a, out);
    }
    if (d->stopped) {
        return BO_E_UNAVAILABLE; /* the serve is over: nothing more of it may run */
    }
    call = &d->calls[d->current];
    print = cache_defer_print(a);
    if (d->cursor < call->n_kept) {
        const struct cache_defer_outcome *o = &call->kept[d->cursor++];
        if (o->print != print) {
            BO_ERR("a batched call asked Redis otherwise than in its last pass");
            return BO_E_UNAVAILABLE;
        }
        if (o->rc != BO_OK) {
            return o->rc;
        }
        return (*out = cache_reply_copy(o->reply)) != NULL ? BO_OK : BO_E_NOMEM;
    }
    if (call->collected) {
        return BO_E_INTERNAL; /* served twice in one pass: its collected command would be lost */
    }
    if (call->n_kept == CACHE_DEFER_DEPTH) {
        return cache_conn_call(c, retry, a, out); /* as many passes as it gets: the rest at once */
    }
    if ((rc = cache_defer_collect(d, retry, a, print)) != BO_OK) {
        return rc;
    }
    d->stopped = 1;
    return BO_E_UNAVAILABLE;
}

int cache_defer_begin(struct cache *c, size_t n)
{
    struct cache_defer **pd, *d;

    if (c == NULL) {
        return BO_E_UNAVAILABLE; /* no Redis to go to: served directly */
    }
    pd = cache_conn_defer(c);
    d = *pd;

    if (d == NULL) {
        if ((d = calloc(1, sizeof(*d))) == NULL) {
            return BO_E_NOMEM;
        }
        d->current = CACHE_DEFER_NONE;
        *pd = d;
    }
    if (n > d->cap) {
        struct cache_defer_call *calls = calloc(n, sizeof(*calls));
        struct cache_defer_cmd *cmds = calloc(n, sizeof(*cmds));
        if (calls == NULL || cmds == NULL) {
            free(calls);
            free(cmds);
            return BO_E_NOMEM;
        }
        free(d->calls);
        free(d->cmds);
        d->calls = calls;
        d->cmds = cmds;
        d->cap = n;
    }
    memset(d->calls, 0, n * sizeof(*d->calls));
    d->n = n;
    d->n_cmds = 0;
    d->current = CACHE_DEFER_NONE;
    d->stopped = 0;
    return BO_OK;
}

void cache_defer_serve(struct cache *c, size_t i)
{
    struct cache_defer *d = *cache_conn_defer(c);

    if (d != NULL) {
        d->current = i < d->n ? i : CACHE_DEFER_NONE;
        d->cursor = 0;
        d->stopped = 0;
    }
}

void cache_defer_direct(struct cache *c)
{
    cache_defer_serve(c, CACHE_DEFER_NONE);
}

int cache_defer_stopped(const struct cache *c)
{
    const struct cache_defer *d = *cache_conn_defer((struct cache *)c);

    return d != NULL && d->stopped;
}

size_t cache_defer_flush(struct cache *c)
{
    struct cache_defer *d = *cache_conn_defer(c);
    const struct cache_args **cmds;
    redisReply **replies;
    int *codes;
    enum cache_retry retry = CACHE_RETRY_ANY;
    size_t k;
    int rc = BO_E_NOMEM;

    if (d == NULL || (k = d->n_cmds) == 0) {
        return 0;
    }
    cmds = calloc(k, sizeof(*cmds));
    replies = calloc(k, sizeof(*replies));
    codes = calloc(k, sizeof(*codes));
    if (cmds != NULL && replies != NULL && codes != NULL) {
        for (size_t i = 0; i < k; i++) {
            cmds[i] = &d->cmds[i].args;
            if (d->cmds[i].retry == CACHE_RETRY_UNSENT) {
                retry = CACHE_RETRY_UNSENT; /* the pipeline is repeated only if none ran */
            }
        }
        rc = cache_conn_run_each(c, retry, cmds, k, replies, codes);
    }
    for (size_t i = 0; i < k; i++) {
        struct cache_defer_cmd *cmd = &d->cmds[i];
        struct cache_defer_call *call = &d->calls[cmd->call];
        struct cache_defer_outcome *o = &call->kept[call->n_kept++];
        call->collected = 0;
        o->print = cmd->print;
        o->rc = rc != BO_OK ? rc : codes[i];
        o->reply = rc != BO_OK ? NULL : replies[i];
        free(cmd->bytes);
        cmd->bytes = NULL;
    }
    d->n_cmds = 0;
    free(cmds);
    free(replies);
    free(codes);
    return k;
}

/* cache_defer_clear frees what d's calls kept and what it collected and never sent (their calls
 * were given up). */
static void cache_defer_clear(struct cache_defer *d)
{
    for (size_t i = 0; i < d->n; i++) {
        for (size_t j = 0; j < d->calls[i].n_kept; j++) {
            freeReplyObject(d->calls[i].kept[j].reply);
        }
        d->calls[i].n_kept = 0;
        d->calls[i].collected = 0;
    }
    for (size_t i = 0; i < d->n_cmds; i++) {
        free(d->cmds[i].bytes);
        d->cmds[i].bytes = NULL;
    }
    d->n = 0;
    d->n_cmds = 0;
    d->current = CACHE_DEFER_NONE;
    d->stopped = 0;
}

void cache_defer_end(struct cache *c)
{
    struct cache_defer *d = *cache_conn_defer(c);

    if (d != NULL) {
        cache_defer_clear(d);
    }
}

void cache_defer_free(struct cache_defer *d)
{
    if (d == NULL) {
        return;
    }
    cache_defer_clear(d);
    free(d->calls);
    free(d->cmds);
    free(d);
}
