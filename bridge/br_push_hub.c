/*
 * br_push_hub: token id -> followers, with forward-only state (see br_push_hub.h).
 *
 * Invariants: every entry in the table has at least one member, nmembers of
 * them; each member of an entry points back at it; an entry's version grows on every change
 * of its state; the table has a power-of-two number of buckets, at least as
 * many as entries (grown by doubling), so lookups stay O(1).
 */
#include "br_push_hub.h"

#include "bo_error.h"
#include "bo_time.h"

#include <stdlib.h>
#include <string.h>

struct br_push_entry {
    struct br_push_entry *next_in_bucket;
    struct br_push_member *members; /* doubly linked, NULL-terminated */
    size_t nmembers;
    char *token_text;
    uint64_t hash;
    uint32_t version;
    int64_t heard_ms; /* monotonic time of the last state heard */
    struct br_push_state st;
    char token_id[BR_PUSH_TOKEN_ID_MAX];
};

struct br_push_hub {
    struct br_push_entry **buckets;
    size_t nbuckets; /* power of two */
    size_t count;
    br_push_wake_fn wake;
    void *arg;
};

#define BR_PUSH_HUB_MIN_BUCKETS 1024

uint64_t br_push_hub_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

int br_push_hub_create(br_push_wake_fn wake, void *arg, struct br_push_hub **out)
{
    struct br_push_hub *h = calloc(1, sizeof(*h));

    if (h == NULL) {
        return BO_E_NOMEM;
    }
    h->buckets = calloc(BR_PUSH_HUB_MIN_BUCKETS, sizeof(*h->buckets));
    if (h->buckets == NULL) {
        free(h);
        return BO_E_NOMEM;
    }
    h->nbuckets = BR_PUSH_HUB_MIN_BUCKETS;
    h->wake = wake;
    h->arg = arg;
    *out = h;
    return BO_OK;
}

/* br_push_hub_unlink_all empties the buckets and returns their entries as one list (through
 * next_in_bucket), bucket by bucket, each in its chain's order. */
static struct br_push_entry *br_push_hub_unlink_all(struct br_push_hub *h)
{
    struct br_push_entry *all = NULL;
    struct br_push_entry **tail = &all;

    for (size_t i = 0; i < h->nbuckets; i++) {
        *tail = h->buckets[i];
        h->buckets[i] = NULL;
        while (*tail != NULL) {
            tail = &(*tail)->next_in_bucket;
        }
    }
    return all;
}

/* br_push_hub_link puts e at the head of its bucket. */
static void br_push_hub_link(struct br_push_hub *h, struct br_push_entry *e)
{
    struct br_push_entry **bucket = &h->buckets[e->hash & (h->nbuckets - 1)];

    e->next_in_bucket = *bucket;
    *bucket = e;
}

void br_push_hub_destroy(struct br_push_hub *h)
{
    if (h == NULL) {
        return;
    }
    for (struct br_push_entry *e = br_push_hub_unlink_all(h), *next; e != NULL; e = next) {
        next = e->next_in_bucket;
        for (struct br_push_member *m = e->members; m != NULL; m = m->next) {
            m->entry = NULL;
        }
        free(e->token_text);
        free(e);
    }
    free(h->buckets);
    free(h);
}

static struct br_push_entry *br_push_hub_find(const struct br_push_hub *h, const char *token_id,
                                              uint64_t hash)
{
    struct br_push_entry *e = h->buckets[hash & (h->nbuckets - 1)];
    for (; e != NULL; e = e->next_in_bucket) {
        if (e->hash == hash && strcmp(e->token_id, token_id) == 0) {
            return e;
        }
    }
    return NULL;
}

/* br_push_hub_grow doubles the buckets; on out of memory the table just stays denser. */
static void br_push_hub_grow(struct br_push_hub *h)
{
    size_t n = h->nbuckets * 2;
    struct br_push_entry **b = calloc(n, sizeof(*b));
    struct br_push_entry *e;

    if (b == NULL) {
        return;
    }
    e = br_push_hub_unlink_all(h);
    free(h->buckets);
    h->buckets = b;
    h->nbuckets = n;
    for (struct br_push_entry *next; e != NULL; e = next) {
        next = e->next_in_bucket;
        br_push_hub_link(h, e);
    }
}

/* br_push_hub_merge applies st to e when it moves the state forward; tells whether it did. */
static int br_push_hub_merge(struct br_push_entry *e, const struct br_push_state *st)
{
    const struct br_push_state *cur = &e->st;

    e->heard_ms = bo_time_mono_ms();
    if (st->status < cur->status) {
        return 0;
    }
    if (st->status == cur->status) {
        /* A second ACTIVE is a replayed admission (an instance taking over sends the last
         * few again) and a second EXPIRED says nothing new; only the place in line moves. */
        if (st->status != BR_PUSH_WAITING ||
            (st->position == cur->position && st->eta_seconds == cur->eta_seconds &&
             st->sale_opens_at_ms == cur->sale_opens_at_ms)) {
            return 0;
        }
    }
    e->st = *st;
    e->version++;
    return 1;
}

static void br_push_hub_wake_all(struct br_push_hub *h, struct br_push_entry *e)
{
    struct br_push_member *m = e->members;
    while (m != NULL) {
        /* wake may not leave the hub, but read next first all the same */
        struct br_push_member *next = m->next;
        h->wake(m, h->arg);
        m = next;
    }
}

int br_push_hub_join(struct br_push_hub *h, struct br_push_member *m, const char *token_id,
                     const char *token_text, const struct br_push_state *st)
{
    size_t idlen = strlen(token_id);
    uint64_t hash = br_push_hub_hash(token_id);
    struct br_push_entry *e;

    if (idlen == 0 || idlen >= BR_PUSH_TOKEN_ID_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    e = br_push_hub_find(h, token_id, hash);
    if (e == NULL) {
        if ((e = calloc(1, sizeof(*e))) == NULL || (e->token_text = strdup(token_text)) == NULL) {
            free(e);
            return BO_E_NOMEM;
        }
        memcpy(e->token_id, token_id, idlen + 1);
        e->hash = hash;
        e->st = *st;
        e->version = 1;
        e->heard_ms = bo_time_mono_ms();
        if (h->count >= h->nbuckets) {
            br_push_hub_grow(h);
        }
        br_push_hub_link(h, e);
        h->count++;
    } else if (br_push_hub_merge(e, st)) {
        br_push_hub_wake_all(h, e);
    }
    m->entry = e;
    m->seen = 0;
    m->prev = NULL;
    m->next = e->members;
    if (e->members != NULL) {
        e->members->prev = m;
    }
    e->members = m;
    e->nmembers++;
    h->wake(m, h->arg);
    return BO_OK;
}

void br_push_hub_leave(struct br_push_hub *h, struct br_push_member *m)
{
    struct br_push_entry *e = m->entry;

    if (e == NULL) {
        return;
    }
    if (m->prev != NULL) {
        m->prev->next = m->next;
    } else {
        e->members = m->next;
    }
    if (m->next != NULL) {
        m->next->prev = m->prev;
    }
    m->prev = m->next = NULL;
    m->entry = NULL;
    e->nmembers--;
    if (e->members != NULL) {
        return;
    }
    struct br_push_entry **pp = &h->buckets[e->hash & (h->nbuckets - 1)];
    while (*pp != e) {
        pp = &(*pp)->next_in_bucket;
    }
    *pp = e->next_in_bucket;
    h->count--;
    free(e->token_text);
    free(e);
}

void br_push_hub_update(struct br_push_hub *h, const char *token_id, const struct br_push_state *st)
{
    struct br_push_entry *e = br_push_hub_find(h, token_id, br_push_hub_hash(token_id));

    if (e != NULL && br_push_hub_merge(e, st)) {
        br_push_hub_wake_all(h, e);
    }
}

int br_push_hub_pending(struct br_push_member *m, struct br_push_state *st, const char **token_id)
{
    if (m->entry == NULL || m->seen == m->entry->version) {
        return 0;
    }
    m->seen = m->entry->version;
    *st = m->entry->st;
    *token_id = m->entry->token_id;
    return 1;
}

void br_push_hub_state(const struct br_push_member *m, struct br_push_state *st,
                       const char **token_id)
{
    *st = m->entry->st;
    *token_id = m->entry->token_id;
}

/* br_push_hub_collect copies the token texts of the entries for which pick() says yes. */
static int br_push_hub_collect(struct br_push_hub *h, int (*pick)(struct br_push_entry *, void *),
                               void *arg, char ***texts, size_t *n)
{
    char **out = calloc(h->count + 1, sizeof(*out));
    size_t k = 0;

    if (out == NULL) {
        return BO_E_NOMEM;
    }
    for (size_t i = 0; i < h->nbuckets; i++) {
        for (struct br_push_entry *e = h->buckets[i]; e != NULL; e = e->next_in_bucket) {
            if (!pick(e, arg)) {
                continue;
            }
            if ((out[k] = strdup(e->token_text)) == NULL) {
                while (k > 0) {
                    free(out[--k]);
                }
                free(out);
                return BO_E_NOMEM;
            }
            k++;
        }
    }
    *texts = out;
    *n = k;
    return BO_OK;
}

static int br_push_hub_pick_all(struct br_push_entry *e, void *arg)
{
    (void)e;
    (void)arg;
    return 1;
}

int br_push_hub_tokens(const struct br_push_hub *h, char ***texts, size_t *n)
{
    return br_push_hub_collect((struct br_push_hub *)h, br_push_hub_pick_all, NULL, texts, n);
}

struct br_push_hub_quiet {
    int64_t now_ms;
    int64_t quiet_ms;
    size_t left; /* how many more may be picked */
};

static int br_push_hub_pick_quiet(struct br_push_entry *e, void *arg)
{
    struct br_push_hub_quiet *q = arg;
    if (q->left == 0 || e->st.status != BR_PUSH_WAITING || q->now_ms - e->heard_ms < q->quiet_ms) {
        return 0;
    }
    e->heard_ms = q->now_ms;
    q->left--;
    return 1;
}

int br_push_hub_stale(struct br_push_hub *h, int64_t now_ms, int64_t quiet_ms, size_t max,
                      char ***texts, size_t *n)
{
    struct br_push_hub_quiet q = {now_ms, quiet_ms, max};
    return br_push_hub_collect(h, br_push_hub_pick_quiet, &q, texts, n);
}

size_t br_push_hub_followers(const struct br_push_hub *h, const char *token_id)
{
    const struct br_push_entry *e = br_push_hub_find(h, token_id, br_push_hub_hash(token_id));
    return e != NULL ? e->nmembers : 0;
}

size_t br_push_hub_count(const struct br_push_hub *h)
{
    return h->count;
}
