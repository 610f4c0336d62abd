/*
 * cache_batch: calls of many worker threads sent to Redis in shared pipelines (see cache.h).
 *
 * No thread of its own: a caller that finds no pipeline in flight becomes the sender. It takes
 * every call waiting (its own among them, CACHE_BATCH_MAX at most), sends them in one write on
 * the batch's connection, reads their replies, hands each caller its reply and wakes it, then
 * wakes the first call that queued meanwhile to send the next pipeline. A lone call is thus
 * sent at once, as on a connection of its own; under load the calls that arrive during one
 * round trip go together in the next. Only repeatable calls come here (cache_conn_run decides),
 * so a pipeline lost with its connection is sent again whole.
 */
#include "cache_conn.h"

#include "bo_error.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>

/* Calls one pipeline carries at most (more wait for the next). */
#define CACHE_BATCH_MAX 64

/* One waiting call, on its caller's stack. Its caller sleeps on wake without the batch's lock,
 * so waking it costs the sender one post and the caller no fight for the lock. */
struct cache_batch_call {
    const struct cache_args *args;
    redisReply *reply;
    int rc;
    int done; /* its reply is in (written under the lock, read after wake) */
    int lead; /* it sends the next pipeline (idem) */
    sem_t wake;
    struct cache_batch_call *next;
};

struct cache_batch {
    pthread_mutex_t mu;
    struct cache *conn;            /* used by the sender only */
    int sending;                   /* a pipeline is in flight */
    struct cache_batch_call *head; /* calls waiting, oldest first */
    struct cache_batch_call **tail;
};

int cache_batch_open(const char *url, struct cache_batch **out)
{
    struct cache_batch *b = calloc(1, sizeof(*b));
    int rc;

    if (b == NULL) {
        return BO_E_NOMEM;
    }
    if (pthread_mutex_init(&b->mu, NULL) != 0) {
        free(b);
        return BO_E_INTERNAL;
    }
    b->tail = &b->head;
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
    pthread_mutex_destroy(&b->mu);
    free(b);
}

/* cache_batch_send, by the caller holding the sender's part (b->sending), sends up to
 * CACHE_BATCH_MAX waiting calls in one pipeline, hands out their replies and passes the part to
 * the first call still waiting (or gives it up when none waits); then wakes them all. glibc's
 * sem_post is safe against the woken caller returning (and destroying its semaphore) at once. */
static void cache_batch_send(struct cache_batch *b)
{
    struct cache_batch_call *calls[CACHE_BATCH_MAX], *next;
    const struct cache_args *cmds[CACHE_BATCH_MAX];
    redisReply *replies[CACHE_BATCH_MAX];
    int codes[CACHE_BATCH_MAX];
    size_t k = 0;
    int rc;

    pthread_mutex_lock(&b->mu);
    while (b->head != NULL && k < CACHE_BATCH_MAX) {
        calls[k] = b->head;
        cmds[k] = b->head->args;
        b->head = b->head->next;
        k++;
    }
    if (b->head == NULL) {
        b->tail = &b->head;
    }
    pthread_mutex_unlock(&b->mu);
    rc = cache_conn_run_each(b->conn, cmds, k, replies, codes);
    pthread_mutex_lock(&b->mu);
    for (size_t i = 0; i < k; i++) {
        calls[i]->rc = rc != BO_OK ? rc : codes[i];
        calls[i]->reply = rc != BO_OK ? NULL : replies[i];
        calls[i]->done = 1;
    }
    next = b->head;
    if (next != NULL) {
        next->lead = 1; /* b->sending stays set: the part goes to it */
    } else {
        b->sending = 0;
    }
    pthread_mutex_unlock(&b->mu);
    for (size_t i = 0; i < k; i++) {
        sem_post(&calls[i]->wake); /* the sender's own too: it is taken below */
    }
    if (next != NULL) {
        sem_post(&next->wake);
    }
}

int cache_batch_call(struct cache_batch *b, const struct cache_args *a, redisReply **out)
{
    struct cache_batch_call call = {.args = a};
    int lead = 0;
    int rc;

    if (sem_init(&call.wake, 0, 0) != 0) {
        return BO_E_INTERNAL;
    }
    pthread_mutex_lock(&b->mu);
    *b->tail = &call;
    b->tail = &call.next;
    if (!b->sending) {
        b->sending = 1;
        lead = 1;
    }
    pthread_mutex_unlock(&b->mu);
    for (;;) {
        if (lead) {
            cache_batch_send(b);
        }
        while (sem_wait(&call.wake) != 0) {
            /* EINTR: wait on */
        }
        if (call.done) {
            break;
        }
        lead = call.lead;
        call.lead = 0;
    }
    sem_destroy(&call.wake);
    rc = call.rc;
    if (rc == BO_OK) {
        *out = call.reply;
    }
    return rc;
}
