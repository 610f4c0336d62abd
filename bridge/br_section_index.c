/* br_section_index: where the sections of venue dates lie (see br_section_index.h). */
#include "br_section_index.h"

#include "bo_error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct br_section_slot {
    uint64_t schedule_id; /* 0: empty */
    char name[BR_SECTION_NAME_MAX + 1];
    struct br_section_place place;
};

struct br_section_index {
    pthread_rwlock_t lock;
    size_t mask;
    struct br_section_slot *slots;
};

int br_section_index_create(size_t capacity, struct br_section_index **out)
{
    struct br_section_index *x;
    size_t n = 1;

    if (capacity == 0 || capacity > ((size_t)1 << 24)) {
        return BO_E_INVALID_ARGUMENT;
    }
    while (n < capacity) {
        n *= 2;
    }
    if ((x = calloc(1, sizeof(*x))) == NULL) {
        return BO_E_NOMEM;
    }
    if ((x->slots = calloc(n, sizeof(*x->slots))) == NULL ||
        pthread_rwlock_init(&x->lock, NULL) != 0) {
        free(x->slots);
        free(x);
        return BO_E_NOMEM;
    }
    x->mask = n - 1;
    *out = x;
    return BO_OK;
}

void br_section_index_destroy(struct br_section_index *x)
{
    if (x != NULL) {
        pthread_rwlock_destroy(&x->lock);
        free(x->slots);
        free(x);
    }
}

/* br_section_index_slot returns the slot of (schedule_id, name): FNV-1a over the name, mixed
 * with the date. */
static struct br_section_slot *br_section_index_slot(struct br_section_index *x,
                                                     uint64_t schedule_id, const char *name)
{
    uint64_t h = 1469598103934665603ULL ^ (schedule_id * 0x9E3779B97F4A7C15ULL);

    for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++) {
        h = (h ^ *c) * 1099511628211ULL;
    }
    return &x->slots[(h ^ (h >> 29)) & x->mask];
}

int br_section_index_put(struct br_section_index *x, uint64_t schedule_id, const char *name,
                         const struct br_section_place *p)
{
    size_t len = strlen(name);
    struct br_section_slot *s;

    if (schedule_id == 0 || len == 0 || len > BR_SECTION_NAME_MAX || p->seats == 0 ||
        p->seats_per_row == 0 || p->first_seat_no == 0) {
        return BO_E_INVALID_ARGUMENT;
    }
    s = br_section_index_slot(x, schedule_id, name);
    pthread_rwlock_wrlock(&x->lock);
    s->schedule_id = schedule_id;
    memcpy(s->name, name, len + 1);
    s->place = *p;
    pthread_rwlock_unlock(&x->lock);
    return BO_OK;
}

int br_section_index_get(struct br_section_index *x, uint64_t schedule_id, const char *name,
                         struct br_section_place *p)
{
    struct br_section_slot *s = br_section_index_slot(x, schedule_id, name);
    int rc = BO_E_NOT_FOUND;

    pthread_rwlock_rdlock(&x->lock);
    if (s->schedule_id == schedule_id && strcmp(s->name, name) == 0) {
        *p = s->place;
        rc = BO_OK;
    }
    pthread_rwlock_unlock(&x->lock);
    return rc;
}

void br_section_place_of(const struct br_section_place *p, uint32_t seat_no, uint32_t *row,
                         uint32_t *number)
{
    uint32_t offset = seat_no - p->first_seat_no;

    *row = offset / p->seats_per_row + 1;
    *number = offset % p->seats_per_row + 1;
}
