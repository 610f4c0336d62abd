/*
 * token_memory: known ACTIVE tokens in a set-associative table (see token_memory.h).
 *
 * Slots are grouped in sets of TOKEN_MEMORY_WAYS; a token lives in the set its key hashes to.
 * Each set is guarded by one of TOKEN_MEMORY_STRIPES mutexes, so workers checking different
 * tokens rarely wait for each other. A slot's until is when it stops mattering: the end of the
 * ACTIVE window, or for an ended token the end of its tombstone; the slot with the smallest
 * until is the one a new token takes.
 */
#include "token_memory.h"

#include "bo_error.h"

#include <pthread.h>
#include <stdlib.h>

#define TOKEN_MEMORY_WAYS    4
#define TOKEN_MEMORY_STRIPES 64

/* How long an ended token is kept as ended: longer than one Redis round trip of a check that
 * read it ACTIVE just before it ended. */
#define TOKEN_MEMORY_TOMBSTONE_MS 10000

struct token_memory_slot {
    uint64_t concert_id; /* 0: empty */
    uint64_t sequence;
    uint64_t user_id;
    int64_t until_ms;
    int ended;
};

struct token_memory {
    size_t nsets; /* a power of two */
    struct token_memory_slot *slots;
    pthread_mutex_t locks[TOKEN_MEMORY_STRIPES];
};

int token_memory_open(size_t slots, struct token_memory **out)
{
    struct token_memory *tm;
    size_t nsets = 1;

    if (slots == 0 || slots > SIZE_MAX / 2 / sizeof(struct token_memory_slot)) {
        return BO_E_INVALID_ARGUMENT;
    }
    while (nsets * TOKEN_MEMORY_WAYS < slots) {
        nsets *= 2;
    }
    if ((tm = calloc(1, sizeof(*tm))) == NULL) {
        return BO_E_NOMEM;
    }
    if ((tm->slots = calloc(nsets * TOKEN_MEMORY_WAYS, sizeof(*tm->slots))) == NULL) {
        free(tm);
        return BO_E_NOMEM;
    }
    tm->nsets = nsets;
    for (size_t i = 0; i < TOKEN_MEMORY_STRIPES; i++) {
        pthread_mutex_init(&tm->locks[i], NULL);
    }
    *out = tm;
    return BO_OK;
}

void token_memory_close(struct token_memory *tm)
{
    if (tm == NULL) {
        return;
    }
    for (size_t i = 0; i < TOKEN_MEMORY_STRIPES; i++) {
        pthread_mutex_destroy(&tm->locks[i]);
    }
    free(tm->slots);
    free(tm);
}

/* token_memory_set returns the index of the set of (concert_id, sequence). */
static size_t token_memory_set(const struct token_memory *tm, uint64_t concert_id,
                               uint64_t sequence)
{
    uint64_t h = (concert_id * 0x9E3779B97F4A7C15ULL) ^ (sequence * 0xC2B2AE3D27D4EB4FULL);
    return (size_t)(h ^ (h >> 29)) & (tm->nsets - 1);
}

/* token_memory_lock locks the set of (concert_id, sequence) and returns its first slot. */
static struct token_memory_slot *token_memory_lock(struct token_memory *tm, uint64_t concert_id,
                                                   uint64_t sequence)
{
    size_t set = token_memory_set(tm, concert_id, sequence);

    pthread_mutex_lock(&tm->locks[set % TOKEN_MEMORY_STRIPES]);
    return &tm->slots[set * TOKEN_MEMORY_WAYS];
}

static void token_memory_unlock(struct token_memory *tm, uint64_t concert_id, uint64_t sequence)
{
    pthread_mutex_unlock(
        &tm->locks[token_memory_set(tm, concert_id, sequence) % TOKEN_MEMORY_STRIPES]);
}

/* token_memory_slot_of returns the slot of (concert_id, sequence) in set (locked), or, with
 * take, the slot it may take (empty, or the one that stops mattering first); else NULL. */
static struct token_memory_slot *token_memory_slot_of(struct token_memory_slot *set,
                                                      uint64_t concert_id, uint64_t sequence,
                                                      int take)
{
    struct token_memory_slot *victim = &set[0];

    for (size_t i = 0; i < TOKEN_MEMORY_WAYS; i++) {
        if (set[i].concert_id == concert_id && set[i].sequence == sequence) {
            return &set[i];
        }
        if (set[i].concert_id == 0 ||
            (victim->concert_id != 0 && set[i].until_ms < victim->until_ms)) {
            victim = &set[i];
        }
    }
    return take ? victim : NULL;
}

void token_memory_remember(struct token_memory *tm, uint64_t concert_id, uint64_t sequence,
                           uint64_t user_id, int64_t active_until_ms, int64_t now_ms)
{
    struct token_memory_slot *s;

    if (tm == NULL || concert_id == 0 || active_until_ms <= now_ms) {
        return;
    }
    s = token_memory_slot_of(token_memory_lock(tm, concert_id, sequence), concert_id, sequence, 1);
    if (s->concert_id != concert_id || s->sequence != sequence || !s->ended) {
        *s = (struct token_memory_slot){concert_id, sequence, user_id, active_until_ms, 0};
    }
    token_memory_unlock(tm, concert_id, sequence);
}

int token_memory_active(struct token_memory *tm, uint64_t concert_id, uint64_t sequence,
                        uint64_t user_id, int64_t now_ms, int64_t *active_until_ms)
{
    struct token_memory_slot *s;
    int known = 0;

    if (tm == NULL || concert_id == 0) {
        return 0;
    }
    s = token_memory_slot_of(token_memory_lock(tm, concert_id, sequence), concert_id, sequence, 0);
    if (s != NULL && !s->ended && s->user_id == user_id && now_ms < s->until_ms) {
        *active_until_ms = s->until_ms;
        known = 1;
    }
    token_memory_unlock(tm, concert_id, sequence);
    return known;
}

void token_memory_forget(struct token_memory *tm, uint64_t concert_id, uint64_t sequence,
                         int64_t now_ms)
{
    struct token_memory_slot *s;

    if (tm == NULL || concert_id == 0) {
        return;
    }
    s = token_memory_slot_of(token_memory_lock(tm, concert_id, sequence), concert_id, sequence, 1);
    *s = (struct token_memory_slot){concert_id, sequence, 0, now_ms + TOKEN_MEMORY_TOMBSTONE_MS, 1};
    token_memory_unlock(tm, concert_id, sequence);
}
