/*
 * proof_cache: a worker's memory of the proofs of identity it verified lately, so a client
 * that sends the same session or operator token with every call costs one hash and one
 * compare instead of an HMAC or a JWT check (libjwt: ~60k instructions a call). A proof is
 * remembered with what it proved until it expires; what may end it earlier (a logout) is
 * checked by the caller on every call all the same. Owned by one worker: no locking.
 */
#ifndef SVC_PROOF_CACHE_H
#define SVC_PROOF_CACHE_H

#include "identity.h"

#include <stddef.h>
#include <stdint.h>

#define PROOF_CACHE_SLOTS    128
#define PROOF_CACHE_TEXT_MAX 768 /* longer proofs are verified every time */

struct proof_cache_entry {
    uint64_t hash; /* of the text; 0: empty */
    size_t len;
    char text[PROOF_CACHE_TEXT_MAX];
    struct identity who;
};

struct proof_cache {
    struct proof_cache_entry slot[PROOF_CACHE_SLOTS];
};

/* proof_cache_get copies into *out what proof (len bytes) proved when it was put, and returns
 * 1, when it is remembered and not expired by now_ms; else 0. */
int proof_cache_get(const struct proof_cache *c, const char *proof, size_t len, int64_t now_ms,
                    struct identity *out);

/* proof_cache_put remembers that proof (len bytes) proved who, in place of whatever shared
 * its slot; a proof too long to keep is not kept. */
void proof_cache_put(struct proof_cache *c, const char *proof, size_t len,
                     const struct identity *who);

#endif
