/*
 * br_push_events: rpc workers and admission events for the push listener (see
 * br_push_events.h).
 *
 * Lanes: verifications and rechecks wait on one bounded job list (cfg->push_max_jobs) for
 * the workers; TouchTokens has a lane of its own, one slot (a newer list of tokens replaces
 * one not yet sent) and one thread, the toucher, which also reads the push connection caps
 * with GetLimits once a second when the bridge has the admin key (and hands the edge's cap,
 * with --edge-limits, to br_edge_limits). A flood of new
 * connections therefore never delays the touches that keep their waiting tokens alive.
 *
 * Locks: `lock` guards the job list, the touch slot, the result list and `stopping`; no rpc
 * and no wake() happens while it is held. Jobs are owned by the list (or the slot) until a
 * thread takes one, then by that thread; results by the list until the loop takes them. The
 * caps are atomics: the toucher writes them, the loop reads them.
 */
#include "br_push_events.h"

#include "bo_error.h"
#include "bo_log.h"
#include "bo_time.h"
#include "boxoffice/client.h"
#include "br_edge_limits.h"
#include "br_metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

/* Workers doing rpcs: verification of a rush of new connections is the busy part. */
#define BR_PUSH_WORKERS 2

/* TouchTokens takes at most 4,096 tokens per request (the service's QUEUE_TOUCH_MAX: what one
 * envelope holds of the shortest tokens), and the whole request must fit the envelope
 * (BO_ENVELOPE_MAX_SIZE, 256 KiB): a request ends at whichever comes first. */
#define BR_PUSH_TOUCH_MAX_TOKENS 4096
#define BR_PUSH_TOUCH_MAX_BYTES  (192 * 1024)

/* Quiet tokens read again in one bo_call_many (it sends them in Batches of 48). */
#define BR_PUSH_RECHECK_BATCH 256

/* Beyond this many untaken event results the loop is far behind: drop further events. */
#define BR_PUSH_MAX_STATE_RESULTS 200000

/* The caps are read again this often (the service's workers read limits once a second). */
#define BR_PUSH_LIMITS_EVERY_MS 1000
/* DESIGN.md, "Limits": the caps in force while none were read. */
#define BR_PUSH_DEFAULT_PER_ADDRESS 256
#define BR_PUSH_DEFAULT_PER_TOKEN   4

enum br_push_job_kind { BR_PUSH_JOB_VERIFY = 1, BR_PUSH_JOB_RECHECK, BR_PUSH_JOB_TOUCH };

struct br_push_job {
    struct br_push_job *next;
    int kind;
    void *tag;    /* VERIFY */
    char *token;  /* VERIFY */
    char **texts; /* RECHECK, TOUCH */
    size_t n;
};

struct br_push_events {
    const struct br_config *cfg;
    struct bo_client *client;
    br_push_events_wake_fn wake;
    void *arg;

    pthread_mutex_t lock;
    pthread_cond_t jobs_ready;
    pthread_cond_t touch_ready; /* on the monotonic clock */
    struct br_push_job *jobs_head, *jobs_tail;
    size_t njobs;              /* on the job list, at most cfg->push_max_jobs */
    struct br_push_job *touch; /* the touch lane's one slot */
    struct br_push_result *res_head, *res_tail;
    size_t nstate; /* BR_PUSH_STATE results on the list */
    int stopping;

    atomic_uint cap_address;     /* addressPushConnections in force (0: off) */
    atomic_uint cap_token;       /* tokenPushConnections in force (0: off) */
    int limits_failing;          /* the last GetLimits failed (warned once per failing spell) */
    struct br_edge_limits *edge; /* with cfg->edge_limits: the toucher keeps the edge's cap */

    pthread_t workers[BR_PUSH_WORKERS];
    pthread_t toucher;
    int nworkers;
    int toucher_started;
    int lock_ready;
};

/* ---- results ------------------------------------------------------------------ */

void br_push_result_free_all(struct br_push_result *r)
{
    while (r != NULL) {
        struct br_push_result *next = r->next;
        free(r);
        r = next;
    }
}

void br_push_texts_free(char **texts, size_t n)
{
    if (texts == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(texts[i]);
    }
    free(texts);
}

/* br_push_events_post puts r on the result list (taking it) and wakes the loop when the list
 * was empty; drops a state result when the loop is far behind. */
static void br_push_events_post(struct br_push_events *ev, struct br_push_result *r)
{
    int was_empty;

    r->next = NULL;
    pthread_mutex_lock(&ev->lock);
    if (r->kind == BR_PUSH_STATE && ev->nstate >= BR_PUSH_MAX_STATE_RESULTS) {
        pthread_mutex_unlock(&ev->lock);
        free(r);
        return;
    }
    was_empty = ev->res_head == NULL;
    if (ev->res_tail != NULL) {
        ev->res_tail->next = r;
    } else {
        ev->res_head = r;
    }
    ev->res_tail = r;
    if (r->kind == BR_PUSH_STATE) {
        ev->nstate++;
    }
    pthread_mutex_unlock(&ev->lock);
    if (was_empty) {
        ev->wake(ev->arg);
    }
}

/* br_push_events_state posts a state result for token_id; drops it when out of memory (the
 * next event or the recheck of quiet tokens makes up for it). */
static void br_push_events_state(struct br_push_events *ev, const char *token_id,
                                 const struct br_push_state *st)
{
    struct br_push_result *r;

    if (strlen(token_id) >= BR_PUSH_TOKEN_ID_MAX || (r = calloc(1, sizeof(*r))) == NULL) {
        return;
    }
    r->kind = BR_PUSH_STATE;
    strcpy(r->token_id, token_id);
    r->st = *st;
    br_push_events_post(ev, r);
}

struct br_push_result *br_push_events_take(struct br_push_events *ev)
{
    struct br_push_result *r;

    pthread_mutex_lock(&ev->lock);
    r = ev->res_head;
    ev->res_head = ev->res_tail = NULL;
    ev->nstate = 0;
    pthread_mutex_unlock(&ev->lock);
    return r;
}

/* ---- jobs --------------------------------------------------------------------- */

static void br_push_job_free(struct br_push_job *j)
{
    free(j->token);
    br_push_texts_free(j->texts, j->n);
    free(j);
}

/* br_push_events_queue puts j on its lane (taking it): a touch in the touch slot (replacing
 * an older one), another job on the job list unless that is full. Returns 0, or
 * BO_E_UNAVAILABLE when the list is full (j freed). */
static int br_push_events_queue(struct br_push_events *ev, struct br_push_job *j)
{
    struct br_push_job *old = NULL;

    j->next = NULL;
    pthread_mutex_lock(&ev->lock);
    if (j->kind == BR_PUSH_JOB_TOUCH) {
        old = ev->touch;
        ev->touch = j;
        pthread_cond_signal(&ev->touch_ready);
    } else if (ev->njobs >= (size_t)ev->cfg->push_max_jobs) {
        old = j;
    } else {
        if (ev->jobs_tail != NULL) {
            ev->jobs_tail->next = j;
        } else {
            ev->jobs_head = j;
        }
        ev->jobs_tail = j;
        ev->njobs++;
        pthread_cond_signal(&ev->jobs_ready);
    }
    pthread_mutex_unlock(&ev->lock);
    if (old != NULL) {
        br_push_job_free(old);
    }
    return old == j ? BO_E_UNAVAILABLE : BO_OK;
}

int br_push_events_verify(struct br_push_events *ev, void *tag, const char *token)
{
    struct br_push_job *j = calloc(1, sizeof(*j));

    if (j == NULL || (j->token = strdup(token)) == NULL) {
        free(j);
        return BO_E_NOMEM;
    }
    j->kind = BR_PUSH_JOB_VERIFY;
    j->tag = tag;
    return br_push_events_queue(ev, j);
}

/* br_push_events_texts_job queues a job over texts, or frees them when out of memory or when
 * its lane is full (a later round sends them again). */
static void br_push_events_texts_job(struct br_push_events *ev, int kind, char **texts, size_t n)
{
    struct br_push_job *j;

    if (n == 0 || (j = calloc(1, sizeof(*j))) == NULL) {
        br_push_texts_free(texts, n);
        return;
    }
    j->kind = kind;
    j->texts = texts;
    j->n = n;
    if (br_push_events_queue(ev, j) != BO_OK) {
        BO_DEBUG("push: the job list is full: %zu quiet tokens are read again later", n);
    }
}

void br_push_events_recheck(struct br_push_events *ev, char **texts, size_t n)
{
    br_push_events_texts_job(ev, BR_PUSH_JOB_RECHECK, texts, n);
}

void br_push_events_touch(struct br_push_events *ev, char **texts, size_t n)
{
    br_push_events_texts_job(ev, BR_PUSH_JOB_TOUCH, texts, n);
}

void br_push_events_caps(struct br_push_events *ev, uint32_t *per_address, uint32_t *per_token)
{
    *per_address = atomic_load(&ev->cap_address);
    *per_token = atomic_load(&ev->cap_token);
}

/* ---- rpcs (workers) ------------------------------------------------------------- */

/* br_push_events_token_state reads the state GetToken answered in rep; returns 0 with *id
 * and *st set, or BO_E_INTERNAL for a reply without a usable token. */
static int br_push_events_token_state(const Boxoffice__V1__GetTokenReply *rep, char *id,
                                      struct br_push_state *st)
{
    const Boxoffice__V1__Token *t = rep->token;

    if (t == NULL || t->token_id == NULL || t->token_id[0] == '\0' ||
        strlen(t->token_id) >= BR_PUSH_TOKEN_ID_MAX) {
        BO_WARN("GetToken answered without a usable token");
        return BO_E_INTERNAL;
    }
    memset(st, 0, sizeof(*st));
    switch (t->status) {
    case BOXOFFICE__V1__TOKEN_STATUS__TOKEN_WAITING:
        st->status = BR_PUSH_WAITING;
        st->position = t->position;
        st->eta_seconds = t->eta_seconds;
        st->sale_opens_at_ms = t->sale_opens_at_ms;
        break;
    case BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE:
        st->status = BR_PUSH_ACTIVE;
        st->admitted_at_ms = t->admitted_at_ms;
        st->expires_at_ms = t->expires_at_ms;
        break;
    case BOXOFFICE__V1__TOKEN_STATUS__TOKEN_EXPIRED:
        st->status = BR_PUSH_EXPIRED;
        break;
    default:
        BO_WARN("GetToken answered without a usable token");
        return BO_E_INTERNAL;
    }
    strcpy(id, t->token_id);
    return BO_OK;
}

/* br_push_events_get_token reads token's state; returns 0 with *id and *st set, or the
 * error. */
static int br_push_events_get_token(struct bo_session *s, const char *token, char *id,
                                    struct br_push_state *st)
{
    Boxoffice__V1__GetTokenRequest req = BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;
    Boxoffice__V1__GetTokenReply *rep = NULL;
    int rc;

    if (token[0] == '\0') {
        return BO_E_TOKEN_MISSING;
    }
    req.token = (char *)token;
    rc = bo_call(s, "GetToken", &req.base, (ProtobufCMessage **)&rep, NULL);
    if (rc != BO_OK) {
        return rc;
    }
    rc = br_push_events_token_state(rep, id, st);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return rc;
}

static void br_push_events_do_verify(struct br_push_events *ev, struct bo_session *s,
                                     struct br_push_job *j)
{
    struct br_push_result *r;

    /* Allocated before the rpc: a verification must always come back. */
    while ((r = calloc(1, sizeof(*r))) == NULL) {
        BO_ERR("out of memory answering a push verification; retrying");
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    r->kind = BR_PUSH_VERIFIED;
    r->tag = j->tag;
    r->rc =
        s == NULL ? BO_E_UNAVAILABLE : br_push_events_get_token(s, j->token, r->token_id, &r->st);
    br_push_events_post(ev, r);
}

/* br_push_events_do_recheck reads the state of j's tokens, BR_PUSH_RECHECK_BATCH of them
 * in one bo_call_many (Batch rpcs), and posts each state read. */
static void br_push_events_do_recheck(struct br_push_events *ev, struct bo_session *s,
                                      struct br_push_job *j)
{
    Boxoffice__V1__GetTokenRequest reqs[BR_PUSH_RECHECK_BATCH];
    const ProtobufCMessage *ins[BR_PUSH_RECHECK_BATCH];
    ProtobufCMessage *outs[BR_PUSH_RECHECK_BATCH];
    int rcs[BR_PUSH_RECHECK_BATCH];
    char id[BR_PUSH_TOKEN_ID_MAX];
    struct br_push_state st;

    size_t i = 0;

    while (i < j->n && s != NULL) {
        size_t n = 0;
        for (; i < j->n && n < BR_PUSH_RECHECK_BATCH; i++) {
            if (j->texts[i][0] == '\0') {
                continue;
            }
            reqs[n] = (Boxoffice__V1__GetTokenRequest)BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;
            reqs[n].token = j->texts[i];
            ins[n] = &reqs[n].base;
            n++;
        }
        if (n == 0 || bo_call_many(s, "GetToken", n, ins, outs, rcs) != BO_OK) {
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            if (rcs[k] != BO_OK) {
                continue;
            }
            Boxoffice__V1__GetTokenReply *rep = (Boxoffice__V1__GetTokenReply *)outs[k];
            if (br_push_events_token_state(rep, id, &st) == BO_OK) {
                br_push_events_state(ev, id, &st);
            }
            protobuf_c_message_free_unpacked(outs[k], NULL);
        }
    }
}

static void br_push_events_do_touch(struct br_push_events *ev, struct bo_session *s,
                                    struct br_push_job *j)
{
    static const struct br_push_state expired = {.status = BR_PUSH_EXPIRED};
    size_t i = 0;
    size_t touched = 0;
    size_t nexpired = 0;

    while (i < j->n && s != NULL) {
        Boxoffice__V1__TouchTokensRequest req = BOXOFFICE__V1__TOUCH_TOKENS_REQUEST__INIT;
        Boxoffice__V1__TouchTokensReply *rep = NULL;
        struct bo_status status;
        size_t bytes = 0;
        size_t k = 0;

        /* One batch: as many tokens as fit the limits (each costs its length plus about 3
         * bytes of framing). */
        while (i + k < j->n && k < BR_PUSH_TOUCH_MAX_TOKENS) {
            size_t len = strlen(j->texts[i + k]) + 3;
            if (k > 0 && bytes + len > BR_PUSH_TOUCH_MAX_BYTES) {
                break;
            }
            bytes += len;
            k++;
        }
        req.n_tokens = k;
        req.tokens = j->texts + i;
        i += k;
        int rc = bo_call(s, "TouchTokens", &req.base, (ProtobufCMessage **)&rep, &status);
        if (rc != BO_OK) {
            BO_WARN("TouchTokens for %zu push tokens failed: %s %s", k, bo_error_name(rc),
                    status.message);
            continue;
        }
        touched += rep->touched;
        for (size_t e = 0; e < rep->n_expired_token_ids; e++) {
            br_push_events_state(ev, rep->expired_token_ids[e], &expired);
        }
        nexpired += rep->n_expired_token_ids;
        protobuf_c_message_free_unpacked(&rep->base, NULL);
    }
    BO_DEBUG("touched %zu push tokens: %zu live, %zu expired", j->n, touched, nexpired);
}

/* br_push_events_worker runs jobs until stopping; verifications still queued at the stop
 * are answered by br_push_events_stop. */
static void *br_push_events_worker(void *arg)
{
    struct br_push_events *ev = arg;
    struct bo_session *s = NULL;

    if (bo_session_open(ev->client, &s) != BO_OK) {
        BO_ERR("push worker: cannot open an rpc session; verifications fail as unavailable");
        s = NULL;
    }
    for (;;) {
        pthread_mutex_lock(&ev->lock);
        while (ev->jobs_head == NULL && !ev->stopping) {
            pthread_cond_wait(&ev->jobs_ready, &ev->lock);
        }
        if (ev->stopping) {
            pthread_mutex_unlock(&ev->lock);
            break;
        }
        struct br_push_job *j = ev->jobs_head;
        ev->jobs_head = j->next;
        if (ev->jobs_head == NULL) {
            ev->jobs_tail = NULL;
        }
        ev->njobs--;
        pthread_mutex_unlock(&ev->lock);

        if (j->kind == BR_PUSH_JOB_VERIFY) {
            br_push_events_do_verify(ev, s, j);
        } else {
            br_push_events_do_recheck(ev, s, j);
        }
        br_push_job_free(j);
    }
    bo_session_close(s);
    return NULL;
}

/* ---- the touch lane: TouchTokens and the caps (the toucher) ----------------------- */

/* br_push_events_read_caps reads the push connection caps with GetLimits under the admin key;
 * on failure keeps the caps in force and warns once until a read succeeds again. */
static void br_push_events_read_caps(struct br_push_events *ev, struct bo_session *s)
{
    Boxoffice__V1__GetLimitsRequest req = BOXOFFICE__V1__GET_LIMITS_REQUEST__INIT;
    Boxoffice__V1__LimitsReply *rep = NULL;
    struct bo_status status;
    int rc;

    req.admin_key = (char *)ev->cfg->admin_key;
    rc = bo_call(s, "GetLimits", &req.base, (ProtobufCMessage **)&rep, &status);
    if (rc != BO_OK || rep->limits == NULL) {
        if (!ev->limits_failing) {
            BO_WARN("push: cannot read the push connection caps (GetLimits: %s %s): keeping "
                    "%u per address and %u per token",
                    bo_error_name(rc), rc != BO_OK ? status.message : "no limits",
                    atomic_load(&ev->cap_address), atomic_load(&ev->cap_token));
        }
        ev->limits_failing = 1;
    } else {
        const Boxoffice__V1__Limits *l = rep->limits;
        if (ev->limits_failing || atomic_load(&ev->cap_address) != l->address_push_connections ||
            atomic_load(&ev->cap_token) != l->token_push_connections) {
            BO_INFO("push: caps %u connections per address, %u per token (0: off)",
                    l->address_push_connections, l->token_push_connections);
        }
        ev->limits_failing = 0;
        atomic_store(&ev->cap_address, l->address_push_connections);
        atomic_store(&ev->cap_token, l->token_push_connections);
        br_metrics_push_caps(l->address_push_connections, l->token_push_connections);
        if (ev->edge != NULL) {
            br_edge_limits_apply(ev->edge, l->address_rest_connections);
        }
    }
    if (rep != NULL) {
        protobuf_c_message_free_unpacked(&rep->base, NULL);
    }
}

/* br_push_events_touch_wait waits (lock held) until a touch waits, stopping begins or, with
 * an admin key, the caps are due at caps_due_ms (monotonic). */
static void br_push_events_touch_wait(struct br_push_events *ev, int64_t caps_due_ms)
{
    while (ev->touch == NULL && !ev->stopping) {
        if (ev->cfg->admin_key[0] == '\0') {
            pthread_cond_wait(&ev->touch_ready, &ev->lock);
            continue;
        }
        int64_t left = caps_due_ms - bo_time_mono_ms();
        if (left <= 0) {
            return;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += (time_t)(left / 1000);
        ts.tv_nsec += (long)(left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&ev->touch_ready, &ev->lock, &ts);
    }
}

/* br_push_events_toucher runs the touch lane until stopping. */
static void *br_push_events_toucher(void *arg)
{
    struct br_push_events *ev = arg;
    struct bo_session *s = NULL;
    int64_t caps_due_ms = 0;

    if (bo_session_open(ev->client, &s) != BO_OK) {
        BO_ERR("push toucher: cannot open an rpc session; waiting tokens are not touched");
        s = NULL;
    }
    for (;;) {
        pthread_mutex_lock(&ev->lock);
        br_push_events_touch_wait(ev, caps_due_ms);
        if (ev->stopping) {
            pthread_mutex_unlock(&ev->lock);
            break;
        }
        struct br_push_job *j = ev->touch;
        ev->touch = NULL;
        pthread_mutex_unlock(&ev->lock);

        if (j != NULL) {
            br_push_events_do_touch(ev, s, j);
            br_push_job_free(j);
        }
        if (ev->cfg->admin_key[0] != '\0' && bo_time_mono_ms() >= caps_due_ms) {
            if (s != NULL) {
                br_push_events_read_caps(ev, s);
            }
            caps_due_ms = bo_time_mono_ms() + BR_PUSH_LIMITS_EVERY_MS;
        }
    }
    bo_session_close(s);
    return NULL;
}

/* ---- admission events ------------------------------------------------------------ */

void br_push_events_admission(struct br_push_events *ev, const Boxoffice__V1__AdmissionEvent *e)
{
    struct br_push_state st;

    memset(&st, 0, sizeof(st));
    switch (e->kind) {
    case BOXOFFICE__V1__EVENT_KIND__EVENT_ADMITTED:
        st.status = BR_PUSH_ACTIVE;
        st.admitted_at_ms = e->admitted_at_ms;
        st.expires_at_ms = e->active_until_ms;
        break;
    case BOXOFFICE__V1__EVENT_KIND__EVENT_POSITION:
        st.status = BR_PUSH_WAITING;
        st.position = e->position;
        st.eta_seconds = e->eta_seconds;
        break;
    case BOXOFFICE__V1__EVENT_KIND__EVENT_EXPIRED:
        st.status = BR_PUSH_EXPIRED;
        break;
    default:
        break;
    }
    if (st.status != 0 && e->token_id != NULL) {
        br_push_events_state(ev, e->token_id, &st);
    }
}

/* ---- life cycle ---------------------------------------------------------------- */

/* br_push_events_locks_init makes ev's lock and conditions (the touch lane's on the monotonic
 * clock). Returns 0 or BO_E_INTERNAL, with none left made. */
static int br_push_events_locks_init(struct br_push_events *ev)
{
    pthread_condattr_t attr;
    int ok = 0;

    if (pthread_mutex_init(&ev->lock, NULL) != 0) {
        return BO_E_INTERNAL;
    }
    if (pthread_cond_init(&ev->jobs_ready, NULL) == 0) {
        if (pthread_condattr_init(&attr) == 0) {
            ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
                 pthread_cond_init(&ev->touch_ready, &attr) == 0;
            pthread_condattr_destroy(&attr);
        }
        if (!ok) {
            pthread_cond_destroy(&ev->jobs_ready);
        }
    }
    if (!ok) {
        pthread_mutex_destroy(&ev->lock);
        return BO_E_INTERNAL;
    }
    return BO_OK;
}

int br_push_events_start(const struct br_config *cfg, br_push_events_wake_fn wake, void *arg,
                         struct br_push_events **out)
{
    struct br_push_events *ev = calloc(1, sizeof(*ev));
    int rc;

    if (ev == NULL) {
        return BO_E_NOMEM;
    }
    ev->cfg = cfg;
    ev->wake = wake;
    ev->arg = arg;
    atomic_init(&ev->cap_address, BR_PUSH_DEFAULT_PER_ADDRESS);
    atomic_init(&ev->cap_token, BR_PUSH_DEFAULT_PER_TOKEN);
    br_metrics_push_caps(BR_PUSH_DEFAULT_PER_ADDRESS, BR_PUSH_DEFAULT_PER_TOKEN);
    if ((rc = br_push_events_locks_init(ev)) != BO_OK) {
        free(ev);
        return rc;
    }
    ev->lock_ready = 1;
    if (cfg->edge_limits[0] != '\0' &&
        (rc = br_edge_limits_create(cfg->edge_limits, cfg->edge_pid, &ev->edge)) != BO_OK) {
        BO_ERR("push: cannot keep the edge's limits file %s: %s", cfg->edge_limits,
               bo_error_message(rc));
        ev->edge = NULL;
        br_push_result_free_all(br_push_events_stop(ev));
        return rc;
    }
    rc = bo_client_open(cfg->rpc_urls, (int)cfg->request_timeout_ms, &ev->client);
    if (rc != BO_OK) {
        BO_ERR("push: cannot dial the service at %s: %s", cfg->rpc_urls, bo_error_message(rc));
        ev->client = NULL;
        br_push_result_free_all(br_push_events_stop(ev));
        return rc;
    }
    for (int i = 0; i < BR_PUSH_WORKERS; i++) {
        if (pthread_create(&ev->workers[i], NULL, br_push_events_worker, ev) != 0) {
            BO_ERR("push: cannot start a worker thread");
            br_push_result_free_all(br_push_events_stop(ev));
            return BO_E_INTERNAL;
        }
        ev->nworkers++;
    }
    if (pthread_create(&ev->toucher, NULL, br_push_events_toucher, ev) != 0) {
        BO_ERR("push: cannot start the toucher thread");
        br_push_result_free_all(br_push_events_stop(ev));
        return BO_E_INTERNAL;
    }
    ev->toucher_started = 1;
    if (cfg->admin_key[0] == '\0') {
        BO_INFO("push: no admin key: caps %d connections per address, %d per token (DESIGN's "
                "defaults; with --admin-key the caps of /api/v1/admin/limits)",
                BR_PUSH_DEFAULT_PER_ADDRESS, BR_PUSH_DEFAULT_PER_TOKEN);
    }
    *out = ev;
    return BO_OK;
}

struct br_push_result *br_push_events_stop(struct br_push_events *ev)
{
    struct br_push_result *left = NULL;

    if (ev == NULL) {
        return NULL;
    }
    if (ev->lock_ready) {
        pthread_mutex_lock(&ev->lock);
        ev->stopping = 1;
        pthread_cond_broadcast(&ev->jobs_ready);
        pthread_cond_broadcast(&ev->touch_ready);
        pthread_mutex_unlock(&ev->lock);
    }
    for (int i = 0; i < ev->nworkers; i++) {
        pthread_join(ev->workers[i], NULL);
    }
    if (ev->toucher_started) {
        pthread_join(ev->toucher, NULL);
    }
    if (ev->touch != NULL) {
        br_push_job_free(ev->touch);
        ev->touch = NULL;
    }
    /* Every thread is gone: answer the verifications nobody ran, drop the other jobs. */
    struct br_push_job *j = ev->jobs_head;
    ev->jobs_head = ev->jobs_tail = NULL;
    while (j != NULL) {
        struct br_push_job *next = j->next;
        if (j->kind == BR_PUSH_JOB_VERIFY) {
            br_push_events_do_verify(ev, NULL, j);
        }
        br_push_job_free(j);
        j = next;
    }
    if (ev->lock_ready) {
        left = br_push_events_take(ev);
        pthread_cond_destroy(&ev->jobs_ready);
        pthread_cond_destroy(&ev->touch_ready);
        pthread_mutex_destroy(&ev->lock);
    }
    bo_client_close(ev->client);
    br_edge_limits_destroy(ev->edge);
    free(ev);
    return left;
}
