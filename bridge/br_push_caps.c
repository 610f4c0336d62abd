/*
 * br_push_caps: counts of open push connections, in all and per client
 * address (see br_push_caps.h).
 *
 * Invariants: total is the sum of the entries' counts; every entry in the
 * table has a count of at least 1 and sits in the bucket of its hash. The
 * buckets are fixed: the total cap keeps the entries to tens of thousands.
 */
#include "br_push_caps.h"

#include "bo_error.h"
#include "br_push_hub.h"

#include <stdlib.h>
#include <string.h>

#define BR_PUSH_CAPS_BUCKETS 16384 /* a power of two */
#define BR_PUSH_CAPS_IP_MAX  64    /* an IPv6 text with a zone fits */

struct br_push_addr {
    struct br_push_addr *next_in_bucket;
    uint64_t hash;
    uint32_t count;
    char ip[BR_PUSH_CAPS_IP_MAX];
};

struct br_push_caps {
    struct br_push_addr *buckets[BR_PUSH_CAPS_BUCKETS];
    size_t total;
};

int br_push_caps_create(struct br_push_caps **out)
{
    struct br_push_caps *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        return BO_E_NOMEM;
    }
    *out = c;
    return BO_OK;
}

void br_push_caps_destroy(struct br_push_caps *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < BR_PUSH_CAPS_BUCKETS; i++) {
        for (struct br_push_addr *a = c->buckets[i], *next; a != NULL; a = next) {
            next = a->next_in_bucket;
            free(a);
        }
    }
    free(c);
}

/* br_push_caps_find returns ip's entry, or NULL; *bucket is its bucket either way. */
static struct br_push_addr *br_push_caps_find(struct br_push_caps *c, const char *ip, uint64_t hash,
                                              struct br_push_addr ***bucket)
{
    *bucket = &c->buckets[hash & (BR_PUSH_CAPS_BUCKETS - 1)];
    for (struct br_push_addr *a = **bucket; a != NULL; a = a->next_in_bucket) {
        if (a->hash == hash && strcmp(a->ip, ip) == 0) {
            return a;
        }
    }
    return NULL;
}

int br_push_caps_admit(struct br_push_caps *c, const char *ip, uint32_t max_total,
                       uint32_t per_address, struct br_push_addr **slot,
                       enum br_metrics_push_refusal *why)
{
    char key[BR_PUSH_CAPS_IP_MAX];
    uint64_t hash;
    struct br_push_addr **bucket;
    struct br_push_addr *a;

    *slot = NULL;
    if (max_total != 0 && c->total >= max_total) {
        *why = BR_METRICS_PUSH_TOTAL;
        return BO_E_UNAVAILABLE;
    }
    /* Address texts longer than any real one are cut: they still count, together. */
    strncpy(key, ip, sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    hash = br_push_hub_hash(key);
    a = br_push_caps_find(c, key, hash, &bucket);
    if (a != NULL && per_address != 0 && a->count >= per_address) {
        *why = BR_METRICS_PUSH_ADDRESS;
        return BO_E_UNAVAILABLE;
    }
    if (a == NULL) {
        if ((a = calloc(1, sizeof(*a))) == NULL) {
            return BO_E_NOMEM;
        }
        memcpy(a->ip, key, sizeof(key));
        a->hash = hash;
        a->next_in_bucket = *bucket;
        *bucket = a;
    }
    a->count++;
    c->total++;
    *slot = a;
    return BO_OK;
}

void br_push_caps_release(struct br_push_caps *c, struct br_push_addr *slot)
{
    struct br_push_addr **pp;

    if (slot == NULL) {
        return;
    }
    c->total--;
    if (--slot->count > 0) {
        return;
    }
    pp = &c->buckets[slot->hash & (BR_PUSH_CAPS_BUCKETS - 1)];
    while (*pp != slot) {
        pp = &(*pp)->next_in_bucket;
    }
    *pp = slot->next_in_bucket;
    free(slot);
}

size_t br_push_caps_total(const struct br_push_caps *c)
{
    return c->total;
}
