/*
 * bo_seatmap: seat maps in memory, merged in each seat's reservation order (see bo_seatmap.h).
 *
 * Locks: the table's rwlock is held for reading around every use of a map, and for writing
 * only to add or drop one, so a map never goes away under a reader. A map's own mutex guards
 * its seats, version, age and renderings. The change clock is atomic: it stamps each seat a
 * change sets, so an install can tell which seats changed after its snapshot was begun.
 *
 * Parts: the maps of one date (a whole date, or sections of it) hash to one bucket, so a
 * change finds every map that has its seat in one walk of one chain.
 */
#include "bo_seatmap.h"

#include "bo_error.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct bo_seatmap {
    struct bo_seatmap *next; /* in its bucket */
    pthread_mutex_t lock;
    uint64_t schedule_id;
    uint32_t first; /* the number of its first seat: 1 for a whole date */
    uint64_t concert_id;
    size_t n;
    struct bo_seat_state *seats; /* seats[i] is seat first + i */
    uint64_t *touched;           /* the change clock when a change last set seats[i]; 0 none */
    uint64_t version;            /* grows with every visible change */
    int64_t read_mono_ms;        /* when the last snapshot was installed */
    int64_t used_mono_ms;        /* when last read: the least recent is dropped first */
    struct bo_seatmap_blob *blob[BO_SEATMAP_FORMS]; /* its rendering in each form */
};

/* Changes of seats no map held when they came, kept for a map being read for the first time:
 * its snapshot may have been read before they committed. A ring: when more than this many
 * arrive during one read, the oldest are lost and the map catches up at its next read. */
#define BO_SEATMAP_LOG 1024

struct bo_seatmap_logged {
    uint64_t clock; /* 0: empty */
    uint64_t schedule_id;
    struct bo_seat_state change;
};

struct bo_seatmap_table {
    pthread_rwlock_t lock;
    struct bo_seatmap **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
    size_t max_maps;
    _Atomic uint64_t clock;
    pthread_mutex_t log_lock; /* taken with lock held, for reading or writing */
    struct bo_seatmap_logged log[BO_SEATMAP_LOG];
    size_t log_next;
};

/* ---- seats ------------------------------------------------------------------------ */

int bo_seat_status_at(const struct bo_seat_state *s, int64_t now_ms)
{
    if (s->status == BO_SEAT_HELD && s->held_until_ms <= now_ms) {
        return BO_SEAT_AVAILABLE;
    }
    return s->status;
}

/* bo_seat_stage: 0 no reservation, 1 held, 2 sold, 3 free again (released, lapsed, or
 * refunded: a reservation free again after SOLD was refunded, the last thing that happens to
 * it; one never sold cannot be sold once free again). */
static int bo_seat_stage(const struct bo_seat_state *s)
{
    if (s->reservation_id == 0) {
        return 0;
    }
    return s->status == BO_SEAT_HELD ? 1 : s->status == BO_SEAT_SOLD ? 2 : 3;
}

int bo_seat_state_newer(const struct bo_seat_state *change, const struct bo_seat_state *cur)
{
    if (change->reservation_id != cur->reservation_id) {
        return change->reservation_id > cur->reservation_id;
    }
    return bo_seat_stage(change) > bo_seat_stage(cur);
}

/* ---- blobs -------------------------------------------------------------------------- */

struct bo_seatmap_blob *bo_seatmap_blob_new(size_t len)
{
    struct bo_seatmap_blob *b = malloc(sizeof(*b) + len + 1);

    if (b == NULL) {
        return NULL;
    }
    atomic_init(&b->refs, 1);
    b->version = 0;
    b->valid_until_ms = INT64_MAX;
    b->len = len;
    b->data[len] = '\0';
    return b;
}

void bo_seatmap_blob_unref(struct bo_seatmap_blob *b)
{
    if (b != NULL && atomic_fetch_sub(&b->refs, 1) == 1) {
        free(b);
    }
}

static void bo_seatmap_blob_ref(struct bo_seatmap_blob *b)
{
    atomic_fetch_add(&b->refs, 1);
}

/* ---- maps --------------------------------------------------------------------------- */

static void bo_seatmap_free(struct bo_seatmap *m)
{
    if (m == NULL) {
        return;
    }
    pthread_mutex_destroy(&m->lock);
    for (size_t f = 0; f < BO_SEATMAP_FORMS; f++) {
        bo_seatmap_blob_unref(m->blob[f]);
    }
    free(m->touched);
    free(m->seats);
    free(m);
}

static int bo_seatmap_new(uint64_t schedule_id, uint32_t first, size_t n, struct bo_seatmap **out)
{
    struct bo_seatmap *m = calloc(1, sizeof(*m));

    if (m == NULL) {
        return BO_E_NOMEM;
    }
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return BO_E_NOMEM;
    }
    m->schedule_id = schedule_id;
    m->first = first;
    m->n = n;
    m->seats = calloc(n > 0 ? n : 1, sizeof(*m->seats));
    m->touched = calloc(n > 0 ? n : 1, sizeof(*m->touched));
    if (m->seats == NULL || m->touched == NULL) {
        bo_seatmap_free(m);
        return BO_E_NOMEM;
    }
    *out = m;
    return BO_OK;
}

/* bo_seatmap_fresh: whether m's last snapshot is at most max_age_ms old (m locked). */
static int bo_seatmap_fresh(const struct bo_seatmap *m, int64_t now_mono_ms, int64_t max_age_ms)
{
    return now_mono_ms - m->read_mono_ms <= max_age_ms;
}

/* ---- the table ---------------------------------------------------------------------- */

int bo_seatmap_table_open(size_t max_maps, struct bo_seatmap_table **out)
{
    struct bo_seatmap_table *t;
    size_t nb = 16;

    if (max_maps == 0 || max_maps > SIZE_MAX / 4) {
        return BO_E_INVALID_ARGUMENT;
    }
    while (nb < max_maps * 2) {
        nb *= 2;
    }
    if ((t = calloc(1, sizeof(*t))) == NULL) {
        return BO_E_NOMEM;
    }
    if ((t->buckets = calloc(nb, sizeof(*t->buckets))) == NULL) {
        free(t);
        return BO_E_NOMEM;
    }
    if (pthread_rwlock_init(&t->lock, NULL) != 0) {
        free(t->buckets);
        free(t);
        return BO_E_NOMEM;
    }
    if (pthread_mutex_init(&t->log_lock, NULL) != 0) {
        pthread_rwlock_destroy(&t->lock);
        free(t->buckets);
        free(t);
        return BO_E_NOMEM;
    }
    t->nbuckets = nb;
    t->max_maps = max_maps;
    atomic_init(&t->clock, 1);
    *out = t;
    return BO_OK;
}

void bo_seatmap_table_close(struct bo_seatmap_table *t)
{
    if (t == NULL) {
        return;
    }
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct bo_seatmap *m = t->buckets[i];
        while (m != NULL) {
            struct bo_seatmap *next = m->next;
            bo_seatmap_free(m);
            m = next;
        }
    }
    pthread_mutex_destroy(&t->log_lock);
    pthread_rwlock_destroy(&t->lock);
    free(t->buckets);
    free(t);
}

static size_t bo_seatmap_bucket(const struct bo_seatmap_table *t, uint64_t schedule_id)
{
    uint64_t h = schedule_id * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 32) & (t->nbuckets - 1);
}

/* bo_seatmap_find returns the map of schedule_id from seat first, or NULL (table locked either
 * way). */
static struct bo_seatmap *bo_seatmap_find(const struct bo_seatmap_table *t, uint64_t schedule_id,
                                          uint32_t first)
{
    struct bo_seatmap *m = t->buckets[bo_seatmap_bucket(t, schedule_id)];

    while (m != NULL && (m->schedule_id != schedule_id || m->first != first)) {
        m = m->next;
    }
    return m;
}

/* bo_seatmap_has says whether m holds seat seat_no. */
static int bo_seatmap_has(const struct bo_seatmap *m, uint32_t seat_no)
{
    return seat_no >= m->first && seat_no - m->first < m->n;
}

/* bo_seatmap_unlink takes m out of its bucket (table locked for writing). */
static void bo_seatmap_unlink(struct bo_seatmap_table *t, struct bo_seatmap *m)
{
    struct bo_seatmap **p = &t->buckets[bo_seatmap_bucket(t, m->schedule_id)];

    while (*p != m) {
        p = &(*p)->next;
    }
    *p = m->next;
    t->count--;
}

/* bo_seatmap_drop_oldest drops the least recently read map (table locked for writing). A
 * linear scan: it runs only when a new date is read with the table full. */
static void bo_seatmap_drop_oldest(struct bo_seatmap_table *t)
{
    struct bo_seatmap *oldest = NULL;

    for (size_t i = 0; i < t->nbuckets; i++) {
        for (struct bo_seatmap *m = t->buckets[i]; m != NULL; m = m->next) {
            if (oldest == NULL || m->used_mono_ms < oldest->used_mono_ms) {
                oldest = m;
            }
        }
    }
    if (oldest != NULL) {
        bo_seatmap_unlink(t, oldest);
        bo_seatmap_free(oldest);
    }
}

/* bo_seatmap_apply_one applies change to m (locked), stamping it with clock; 1 if it changed. */
static int bo_seatmap_apply_one(struct bo_seatmap *m, const struct bo_seat_state *change,
                                uint64_t clock)
{
    struct bo_seat_state *cur;

    if (!bo_seatmap_has(m, change->seat_no)) {
        return 0;
    }
    cur = &m->seats[change->seat_no - m->first];
    if (!bo_seat_state_newer(change, cur)) {
        return 0;
    }
    cur->status = change->status;
    cur->held_until_ms = change->held_until_ms;
    cur->reservation_id = change->reservation_id;
    m->touched[change->seat_no - m->first] = clock;
    return 1;
}

/* Changes looked at together by bo_seatmap_table_apply: which of them some map holds is kept
 * in one 64-bit mask. */
#define BO_SEATMAP_APPLY_CHUNK 64

/* bo_seatmap_apply_chunk applies changes[0..n) (n <= BO_SEATMAP_APPLY_CHUNK) to every map of
 * schedule_id (table locked for reading) and logs those no map holds; returns how many seats
 * changed. */
static size_t bo_seatmap_apply_chunk(struct bo_seatmap_table *t, uint64_t schedule_id,
                                     const struct bo_seat_state *changes, size_t n, uint64_t clock)
{
    uint64_t held = 0; /* bit i: a map holds changes[i]'s seat */
    size_t done = 0;

    for (struct bo_seatmap *m = t->buckets[bo_seatmap_bucket(t, schedule_id)]; m != NULL;
         m = m->next) {
        if (m->schedule_id != schedule_id) {
            continue;
        }
        size_t before = done;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < n; i++) {
            if (bo_seatmap_has(m, changes[i].seat_no)) {
                held |= 1ULL << i;
                done += (size_t)bo_seatmap_apply_one(m, &changes[i], clock);
            }
        }
        if (done > before) {
            m->version++;
        }
        pthread_mutex_unlock(&m->lock);
    }
    if (held != (n == 64 ? UINT64_MAX : (1ULL << n) - 1)) {
        /* Logged under the read lock: an install adds its map under the write lock, so it
         * either sees this entry or its map is there for the next change. */
        pthread_mutex_lock(&t->log_lock);
        for (size_t i = 0; i < n; i++) {
            if (!(held & (1ULL << i))) {
                t->log[t->log_next] = (struct bo_seatmap_logged){clock, schedule_id, changes[i]};
                t->log_next = (t->log_next + 1) % BO_SEATMAP_LOG;
            }
        }
        pthread_mutex_unlock(&t->log_lock);
    }
    return done;
}

void bo_seatmap_table_apply(struct bo_seatmap_table *t, uint64_t schedule_id,
                            const struct bo_seat_state *changes, size_t n, size_t *applied)
{
    size_t done = 0;

    pthread_rwlock_rdlock(&t->lock);
    uint64_t clock = atomic_fetch_add(&t->clock, 1) + 1;
    for (size_t i = 0; i < n; i += BO_SEATMAP_APPLY_CHUNK) {
        size_t k = n - i < BO_SEATMAP_APPLY_CHUNK ? n - i : BO_SEATMAP_APPLY_CHUNK;
        done += bo_seatmap_apply_chunk(t, schedule_id, changes + i, k, clock);
    }
    pthread_rwlock_unlock(&t->lock);
    if (applied != NULL) {
        *applied = done;
    }
}

uint64_t bo_seatmap_table_begin(struct bo_seatmap_table *t)
{
    return atomic_load(&t->clock);
}

/* bo_seatmap_merge puts the snapshot into m (locked, same size), keeping a seat that a newer
 * change set after ticket. */
static void bo_seatmap_merge(struct bo_seatmap *m, const struct bo_seat_state *seats,
                             uint64_t ticket)
{
    for (size_t i = 0; i < m->n; i++) {
        if (m->touched[i] > ticket && bo_seat_state_newer(&m->seats[i], &seats[i])) {
            continue;
        }
        m->seats[i] = seats[i];
        m->touched[i] = 0;
    }
}

/* bo_seatmap_replay applies to m, a map not yet in t (table locked for writing), the logged
 * changes of its date that came after ticket. */
static void bo_seatmap_replay(struct bo_seatmap_table *t, struct bo_seatmap *m, uint64_t ticket)
{
    pthread_mutex_lock(&t->log_lock);
    for (size_t i = 0; i < BO_SEATMAP_LOG; i++) {
        const struct bo_seatmap_logged *e = &t->log[i];
        if (e->clock > ticket && e->schedule_id == m->schedule_id) {
            bo_seatmap_apply_one(m, &e->change, e->clock);
        }
    }
    pthread_mutex_unlock(&t->log_lock);
}

int bo_seatmap_table_install(struct bo_seatmap_table *t, uint64_t schedule_id, uint64_t concert_id,
                             const struct bo_seat_state *seats, size_t n, uint64_t ticket,
                             int64_t now_mono_ms)
{
    return bo_seatmap_table_install_part(t, schedule_id, 1, concert_id, seats, n, ticket,
                                         now_mono_ms);
}

int bo_seatmap_table_install_part(struct bo_seatmap_table *t, uint64_t schedule_id,
                                  uint32_t first_seat_no, uint64_t concert_id,
                                  const struct bo_seat_state *seats, size_t n, uint64_t ticket,
                                  int64_t now_mono_ms)
{
    struct bo_seatmap *m, *fresh = NULL;
    int rc;

    if (first_seat_no < 1 || n > BO_SEATMAP_MAX_SEATS ||
        first_seat_no - 1 > BO_SEATMAP_MAX_SEATS - n) {
        return BO_E_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < n; i++) {
        if (seats[i].seat_no != first_seat_no + i) {
            return BO_E_INVALID_ARGUMENT;
        }
    }
    pthread_rwlock_rdlock(&t->lock);
    if ((m = bo_seatmap_find(t, schedule_id, first_seat_no)) != NULL && m->n == n) {
        pthread_mutex_lock(&m->lock);
        bo_seatmap_merge(m, seats, ticket);
        m->concert_id = concert_id;
        m->read_mono_ms = now_mono_ms;
        m->used_mono_ms = now_mono_ms;
        m->version++;
        pthread_mutex_unlock(&m->lock);
        pthread_rwlock_unlock(&t->lock);
        return BO_OK;
    }
    pthread_rwlock_unlock(&t->lock);

    /* A new map (or one whose seats changed in number): build it outside the table lock. */
    if ((rc = bo_seatmap_new(schedule_id, first_seat_no, n, &fresh)) != BO_OK) {
        return rc;
    }
    memcpy(fresh->seats, seats, n * sizeof(*seats));
    fresh->concert_id = concert_id;
    fresh->read_mono_ms = now_mono_ms;
    fresh->used_mono_ms = now_mono_ms;
    fresh->version = 1;

    pthread_rwlock_wrlock(&t->lock);
    if ((m = bo_seatmap_find(t, schedule_id, first_seat_no)) != NULL) {
        if (m->n == n) {
            /* Another thread installed it meanwhile: merge into that one. */
            pthread_mutex_lock(&m->lock);
            bo_seatmap_merge(m, seats, ticket);
            m->concert_id = concert_id;
            m->read_mono_ms = now_mono_ms;
            m->version++;
            pthread_mutex_unlock(&m->lock);
            pthread_rwlock_unlock(&t->lock);
            bo_seatmap_free(fresh);
            return BO_OK;
        }
        fresh->version = m->version + 1;
        bo_seatmap_unlink(t, m);
        bo_seatmap_free(m);
    }
    if (t->count >= t->max_maps) {
        bo_seatmap_drop_oldest(t);
    }
    bo_seatmap_replay(t, fresh, ticket);
    size_t b = bo_seatmap_bucket(t, schedule_id);
    fresh->next = t->buckets[b];
    t->buckets[b] = fresh;
    t->count++;
    pthread_rwlock_unlock(&t->lock);
    return BO_OK;
}

int bo_seatmap_table_view(struct bo_seatmap_table *t, uint64_t schedule_id, int64_t now_mono_ms,
                          int64_t max_age_ms, bo_seatmap_view_fn view, void *arg)
{
    struct bo_seatmap *m;
    int rc = BO_E_NOT_FOUND;

    pthread_rwlock_rdlock(&t->lock);
    if ((m = bo_seatmap_find(t, schedule_id, 1)) != NULL) {
        pthread_mutex_lock(&m->lock);
        if (bo_seatmap_fresh(m, now_mono_ms, max_age_ms)) {
            m->used_mono_ms = now_mono_ms;
            rc = view(arg, m->concert_id, m->seats, m->n);
        }
        pthread_mutex_unlock(&m->lock);
    }
    pthread_rwlock_unlock(&t->lock);
    return rc;
}

/* Where bo_seatmap_table_read copies a map to. */
struct bo_seatmap_copy {
    uint64_t *concert_id;
    struct bo_seat_state *out;
    size_t max;
    size_t *n;
};

static int bo_seatmap_copy_view(void *arg, uint64_t concert_id, const struct bo_seat_state *seats,
                                size_t n)
{
    struct bo_seatmap_copy *c = arg;

    if (n > c->max) {
        return BO_E_INVALID_ARGUMENT;
    }
    memcpy(c->out, seats, n * sizeof(*seats));
    *c->n = n;
    *c->concert_id = concert_id;
    return BO_OK;
}

int bo_seatmap_table_read(struct bo_seatmap_table *t, uint64_t schedule_id, int64_t now_mono_ms,
                          int64_t max_age_ms, uint64_t *concert_id, struct bo_seat_state *out,
                          size_t max, size_t *n)
{
    struct bo_seatmap_copy c = {concert_id, out, max, n};

    return bo_seatmap_table_view(t, schedule_id, now_mono_ms, max_age_ms, bo_seatmap_copy_view, &c);
}

/* bo_seatmap_first_lapse: the earliest held_until_ms after now_ms among m's held seats. */
static int64_t bo_seatmap_first_lapse(const struct bo_seatmap *m, int64_t now_ms)
{
    int64_t first = INT64_MAX;

    for (size_t i = 0; i < m->n; i++) {
        const struct bo_seat_state *s = &m->seats[i];
        if (s->status == BO_SEAT_HELD && s->held_until_ms > now_ms && s->held_until_ms < first) {
            first = s->held_until_ms;
        }
    }
    return first;
}

int bo_seatmap_table_rendered(struct bo_seatmap_table *t, uint64_t schedule_id, int64_t now_mono_ms,
                              int64_t now_ms, int64_t max_age_ms, bo_seatmap_render_fn render,
                              void *arg, uint64_t *concert_id, struct bo_seatmap_blob **out)
{
    return bo_seatmap_table_rendered_part(t, schedule_id, 1, 0, now_mono_ms, now_ms, max_age_ms,
                                          render, arg, concert_id, out);
}

int bo_seatmap_table_rendered_part(struct bo_seatmap_table *t, uint64_t schedule_id,
                                   uint32_t first_seat_no, unsigned form, int64_t now_mono_ms,
                                   int64_t now_ms, int64_t max_age_ms, bo_seatmap_render_fn render,
                                   void *arg, uint64_t *concert_id, struct bo_seatmap_blob **out)
{
    struct bo_seatmap *m;
    int rc = BO_E_NOT_FOUND;

    if (form >= BO_SEATMAP_FORMS) {
        return BO_E_INVALID_ARGUMENT;
    }
    pthread_rwlock_rdlock(&t->lock);
    if ((m = bo_seatmap_find(t, schedule_id, first_seat_no)) != NULL) {
        pthread_mutex_lock(&m->lock);
        if (bo_seatmap_fresh(m, now_mono_ms, max_age_ms)) {
            struct bo_seatmap_blob **kept = &m->blob[form];
            rc = BO_OK;
            if (*kept == NULL || (*kept)->version != m->version ||
                now_ms >= (*kept)->valid_until_ms) {
                struct bo_seatmap_blob *b = NULL;
                rc = render(arg, m->schedule_id, m->concert_id, m->seats, m->n, now_ms, &b);
                if (rc == BO_OK) {
                    b->version = m->version;
                    b->valid_until_ms = bo_seatmap_first_lapse(m, now_ms);
                    bo_seatmap_blob_unref(*kept);
                    *kept = b;
                }
            }
            if (rc == BO_OK) {
                bo_seatmap_blob_ref(*kept);
                *out = *kept;
                *concert_id = m->concert_id;
                m->used_mono_ms = now_mono_ms;
            }
        }
        pthread_mutex_unlock(&m->lock);
    }
    pthread_rwlock_unlock(&t->lock);
    return rc;
}
