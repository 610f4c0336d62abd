/*
 * br_tokens: ACTIVE tokens in a set-associative table (see br_tokens.h).
 *
 * Invariants: an entry is empty when its active_until_ms is 0; a set's entries are read and
 * written only under the stripe lock of that set (lock = set % BR_TOKENS_STRIPES); one
 * (concert, sequence) has at most one entry, always in the set its hash names. `count` is the
 * number of non-empty entries.
 */
#include "br_tokens.h"

#include "bo_error.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Locks shared by the sets: enough that civetweb's threads rarely meet on one. */
#define BR_TOKENS_STRIPES 256

/* The largest table accepted (entries). */
#define BR_TOKENS_CAPACITY_MAX ((size_t)1 << 28)

struct br_tokens_entry {
    uint64_t concert_id;
    uint64_t sequence;
    int64_t active_until_ms; /* 0: empty */
    uint32_t len;
    char text[BR_TOKENS_TEXT_MAX];
};

struct br_tokens {
    struct br_tokens_entry *entries; /* nsets * BR_TOKENS_WAYS */
    size_t nsets;                    /* a power of two */
    pthread_mutex_t locks[BR_TOKENS_STRIPES];
    int nlocks; /* initialised */
    atomic_size_t count;
    _Atomic uint64_t remembered;
};

int br_tokens_create(size_t capacity, struct br_tokens **out)
{
    struct br_tokens *t;
    size_t nsets = 1;

    if (capacity == 0 || capacity > BR_TOKENS_CAPACITY_MAX) {
        return BO_E_INVALID_ARGUMENT;
    }
    while (nsets * BR_TOKENS_WAYS < capacity) {
        nsets *= 2;
    }
    if ((t = calloc(1, sizeof(*t))) == NULL) {
        return BO_E_NOMEM;
    }
    t->nsets = nsets;
    atomic_init(&t->count, 0);
    atomic_init(&t->remembered, 0);
    if ((t->entries = calloc(nsets * BR_TOKENS_WAYS, sizeof(*t->entries))) == NULL) {
        br_tokens_destroy(t);
        return BO_E_NOMEM;
    }
    for (; t->nlocks < BR_TOKENS_STRIPES; t->nlocks++) {
        if (pthread_mutex_init(&t->locks[t->nlocks], NULL) != 0) {
            br_tokens_destroy(t);
            return BO_E_NOMEM;
        }
    }
    *out = t;
    return BO_OK;
}

void br_tokens_destroy(struct br_tokens *t)
{
    if (t == NULL) {
        return;
    }
    for (int i = 0; i < t->nlocks; i++) {
        pthread_mutex_destroy(&t->locks[i]);
    }
    free(t->entries);
    free(t);
}

/* br_tokens_number reads decimal digits at *p up to the byte stop into *v (at most 20 digits,
 * no overflow), leaving *p after stop; returns BO_OK or BO_E_TOKEN_INVALID. */
static int br_tokens_number(const char **p, char stop, uint64_t *v)
{
    const char *s = *p;
    uint64_t n = 0;
    size_t i = 0;

    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (n > (UINT64_MAX - d) / 10) {
            return BO_E_TOKEN_INVALID;
        }
        n = n * 10 + d;
    }
    if (i == 0 || s[i] != stop) {
        return BO_E_TOKEN_INVALID;
    }
    *p = s + i + 1;
    *v = n;
    return BO_OK;
}

int br_tokens_parse(const char *text, uint64_t *concert_id, uint64_t *sequence)
{
    const char *p = text;
    uint64_t c, u, s;

    if (text == NULL || strncmp(p, "v1.", 3) != 0) {
        return BO_E_TOKEN_INVALID;
    }
    p += 3;
    if (br_tokens_number(&p, '.', &c) != BO_OK || br_tokens_number(&p, '.', &u) != BO_OK ||
        br_tokens_number(&p, '.', &s) != BO_OK || *p == '\0' || strchr(p, '.') != NULL) {
        return BO_E_TOKEN_INVALID;
    }
    *concert_id = c;
    *sequence = s;
    return BO_OK;
}

/* br_tokens_set returns the index of the set of (concert_id, sequence): a 64-bit mix of both. */
static size_t br_tokens_set(const struct br_tokens *t, uint64_t concert_id, uint64_t sequence)
{
    uint64_t h = concert_id * 0x9E3779B97F4A7C15ULL ^ sequence;

    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 29;
    return (size_t)h & (t->nsets - 1);
}

/* br_tokens_lock locks the stripe of set and returns the set's first entry. */
static struct br_tokens_entry *br_tokens_lock(struct br_tokens *t, size_t set)
{
    pthread_mutex_lock(&t->locks[set % BR_TOKENS_STRIPES]);
    return &t->entries[set * BR_TOKENS_WAYS];
}

static void br_tokens_unlock(struct br_tokens *t, size_t set)
{
    pthread_mutex_unlock(&t->locks[set % BR_TOKENS_STRIPES]);
}

/* br_tokens_clear empties e (its set locked). */
static void br_tokens_clear(struct br_tokens *t, struct br_tokens_entry *e)
{
    if (e->active_until_ms != 0) {
        e->active_until_ms = 0;
        atomic_fetch_sub(&t->count, 1);
    }
}

/* br_tokens_slot returns where (concert_id, sequence) goes in the locked set: its entry, else
 * an empty one, else an expired one, else the one ending first (it is dropped). */
static struct br_tokens_entry *br_tokens_slot(struct br_tokens_entry *set, uint64_t concert_id,
                                              uint64_t sequence, int64_t now_ms)
{
    struct br_tokens_entry *pick = NULL;

    for (int w = 0; w < BR_TOKENS_WAYS; w++) {
        struct br_tokens_entry *e = &set[w];
        if (e->active_until_ms != 0 && e->concert_id == concert_id && e->sequence == sequence) {
            return e;
        }
    }
    for (int w = 0; w < BR_TOKENS_WAYS; w++) {
        struct br_tokens_entry *e = &set[w];
        if (e->active_until_ms <= now_ms) { /* empty (0) or past its end */
            return e;
        }
        if (pick == NULL || e->active_until_ms < pick->active_until_ms) {
            pick = e;
        }
    }
    return pick;
}

int br_tokens_remember(struct br_tokens *t, const char *text, uint64_t concert_id,
                       int64_t active_until_ms, int64_t now_ms)
{
    uint64_t c, seq;
    size_t len;

    if (br_tokens_parse(text, &c, &seq) != BO_OK || c != concert_id ||
        (len = strlen(text)) >= BR_TOKENS_TEXT_MAX || active_until_ms <= now_ms) {
        return BO_E_INVALID_ARGUMENT;
    }
    size_t set = br_tokens_set(t, c, seq);
    struct br_tokens_entry *e = br_tokens_slot(br_tokens_lock(t, set), c, seq, now_ms);
    if (e->active_until_ms == 0) {
        atomic_fetch_add(&t->count, 1);
    }
    e->concert_id = c;
    e->sequence = seq;
    e->active_until_ms = active_until_ms;
    e->len = (uint32_t)len;
    memcpy(e->text, text, len + 1);
    br_tokens_unlock(t, set);
    atomic_fetch_add(&t->remembered, 1);
    return BO_OK;
}

int br_tokens_lookup(struct br_tokens *t, const char *text, int64_t now_ms, uint64_t *concert_id)
{
    uint64_t c, seq;
    int rc = BO_E_NOT_FOUND;

    if (br_tokens_parse(text, &c, &seq) != BO_OK) {
        return BO_E_NOT_FOUND;
    }
    size_t len = strlen(text);
    size_t set = br_tokens_set(t, c, seq);
    struct br_tokens_entry *e = br_tokens_lock(t, set);
    for (int w = 0; w < BR_TOKENS_WAYS; w++, e++) {
        if (e->active_until_ms == 0 || e->concert_id != c || e->sequence != seq) {
            continue;
        }
        if (e->active_until_ms <= now_ms) {
            br_tokens_clear(t, e);
        } else if (e->len == len && memcmp(e->text, text, len) == 0) {
            *concert_id = e->concert_id;
            rc = BO_OK;
        }
        break;
    }
    br_tokens_unlock(t, set);
    return rc;
}

void br_tokens_forget(struct br_tokens *t, uint64_t concert_id, uint64_t sequence)
{
    size_t set = br_tokens_set(t, concert_id, sequence);
    struct br_tokens_entry *e = br_tokens_lock(t, set);

    for (int w = 0; w < BR_TOKENS_WAYS; w++, e++) {
        if (e->active_until_ms != 0 && e->concert_id == concert_id && e->sequence == sequence) {
            br_tokens_clear(t, e);
        }
    }
    br_tokens_unlock(t, set);
}

void br_tokens_forget_text(struct br_tokens *t, const char *text)
{
    uint64_t c, seq;

    if (br_tokens_parse(text, &c, &seq) == BO_OK) {
        br_tokens_forget(t, c, seq);
    }
}

size_t br_tokens_count(const struct br_tokens *t)
{
    return atomic_load(&t->count);
}

uint64_t br_tokens_remembered(const struct br_tokens *t)
{
    return atomic_load(&t->remembered);
}
