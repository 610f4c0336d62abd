/* catalog_memory: dates' concerts and concerts' openings, once per process (see
 * catalog_memory.h). */
#include "catalog_memory.h"

#include "bo_error.h"

#include <pthread.h>
#include <stdlib.h>

struct catalog_date {
    uint64_t schedule_id; /* 0: empty */
    uint64_t concert_id;
    uint64_t venue_id; /* 0: the hall */
};

struct catalog_opens {
    uint64_t concert_id; /* 0: empty */
    int64_t opens_ms;    /* 0: open */
    int64_t read_ms;     /* monotonic time it was read from PostgreSQL (or set) */
};

struct catalog_memory {
    pthread_mutex_t lock; /* a few loads and stores under it: no reader waits long */
    struct catalog_date dates[CATALOG_MEMORY_DATES];
    struct catalog_opens concerts[CATALOG_MEMORY_CONCERTS];
};

int catalog_memory_open(struct catalog_memory **out)
{
    struct catalog_memory *m = calloc(1, sizeof(*m));

    if (m == NULL) {
        return BO_E_NOMEM;
    }
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return BO_E_NOMEM;
    }
    *out = m;
    return BO_OK;
}

void catalog_memory_close(struct catalog_memory *m)
{
    if (m == NULL) {
        return;
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

int catalog_memory_date(struct catalog_memory *m, uint64_t schedule_id, uint64_t *concert_id,
                        uint64_t *venue_id)
{
    int found;

    if (m == NULL || schedule_id == 0) {
        return 0;
    }
    pthread_mutex_lock(&m->lock);
    const struct catalog_date *d = &m->dates[schedule_id % CATALOG_MEMORY_DATES];
    found = d->schedule_id == schedule_id;
    if (found) {
        *concert_id = d->concert_id;
        *venue_id = d->venue_id;
    }
    pthread_mutex_unlock(&m->lock);
    return found;
}

void catalog_memory_keep_date(struct catalog_memory *m, uint64_t schedule_id, uint64_t concert_id,
                              uint64_t venue_id)
{
    if (m == NULL || schedule_id == 0) {
        return;
    }
    pthread_mutex_lock(&m->lock);
    m->dates[schedule_id % CATALOG_MEMORY_DATES] = (struct catalog_date){
        .schedule_id = schedule_id, .concert_id = concert_id, .venue_id = venue_id};
    pthread_mutex_unlock(&m->lock);
}

int catalog_memory_opens(struct catalog_memory *m, uint64_t concert_id, int64_t now_mono_ms,
                         int64_t *opens_ms)
{
    int found;

    if (m == NULL || concert_id == 0) {
        return 0;
    }
    pthread_mutex_lock(&m->lock);
    const struct catalog_opens *c = &m->concerts[concert_id % CATALOG_MEMORY_CONCERTS];
    found = c->concert_id == concert_id && now_mono_ms - c->read_ms < CATALOG_MEMORY_OPENS_TTL_MS;
    if (found) {
        *opens_ms = c->opens_ms;
    }
    pthread_mutex_unlock(&m->lock);
    return found;
}

void catalog_memory_keep_opens(struct catalog_memory *m, uint64_t concert_id, int64_t opens_ms,
                               int64_t read_mono_ms)
{
    if (m == NULL || concert_id == 0) {
        return;
    }
    pthread_mutex_lock(&m->lock);
    struct catalog_opens *c = &m->concerts[concert_id % CATALOG_MEMORY_CONCERTS];
    /* A read that started before another worker's newer one must not put back the older. */
    if (c->concert_id != concert_id || read_mono_ms >= c->read_ms) {
        *c = (struct catalog_opens){
            .concert_id = concert_id, .opens_ms = opens_ms, .read_ms = read_mono_ms};
    }
    pthread_mutex_unlock(&m->lock);
}
