/* venue_cache: venues read once per process (see venue_cache.h). */
#include "venue_cache.h"

#include "bo_error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct venue_cache {
    pthread_rwlock_t lock;
    size_t n;
    struct venue *venues[VENUE_CACHE_MAX]; /* owned, in the order they were read */
};

int venue_cache_open(struct venue_cache **out)
{
    struct venue_cache *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        return BO_E_NOMEM;
    }
    if (pthread_rwlock_init(&c->lock, NULL) != 0) {
        free(c);
        return BO_E_NOMEM;
    }
    *out = c;
    return BO_OK;
}

void venue_cache_close(struct venue_cache *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->n; i++) {
        free(c->venues[i]);
    }
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

/* venue_cache_find copies venue_id into out when held; 1 if it was. Caller holds the lock. */
static int venue_cache_find(const struct venue_cache *c, uint64_t venue_id, struct venue *out)
{
    for (size_t i = 0; i < c->n; i++) {
        if (c->venues[i]->id == venue_id) {
            *out = *c->venues[i];
            return 1;
        }
    }
    return 0;
}

int venue_cache_get(struct venue_cache *c, struct store *st, uint64_t venue_id, struct venue *out)
{
    int found;
    int rc;

    if (c == NULL) {
        return store_venue_get(st, venue_id, out);
    }
    pthread_rwlock_rdlock(&c->lock);
    found = venue_cache_find(c, venue_id, out);
    pthread_rwlock_unlock(&c->lock);
    if (found) {
        return BO_OK;
    }
    if ((rc = store_venue_get(st, venue_id, out)) != BO_OK) {
        return rc;
    }
    struct venue *keep = malloc(sizeof(*keep));
    if (keep == NULL) {
        return BO_OK; /* answered all the same; kept another time */
    }
    *keep = *out;
    pthread_rwlock_wrlock(&c->lock);
    struct venue again;
    if (c->n < VENUE_CACHE_MAX && !venue_cache_find(c, venue_id, &again)) {
        c->venues[c->n++] = keep;
        keep = NULL;
    }
    pthread_rwlock_unlock(&c->lock);
    free(keep);
    return BO_OK;
}
