/* proof_cache: verified proofs of identity, per worker (see proof_cache.h). */
#include "proof_cache.h"

#include <string.h>

/* proof_cache_hash is FNV-1a over the text, never 0 (0 marks an empty slot). */
static uint64_t proof_cache_hash(const char *text, size_t len)
{
    uint64_t h = 14695981039346656037ULL;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)text[i];
        h *= 1099511628211ULL;
    }
    return h != 0 ? h : 1;
}

int proof_cache_get(const struct proof_cache *c, const char *proof, size_t len, int64_t now_ms,
                    struct identity *out)
{
    uint64_t h;
    const struct proof_cache_entry *e;

    if (len == 0 || len > PROOF_CACHE_TEXT_MAX) {
        return 0;
    }
    h = proof_cache_hash(proof, len);
    e = &c->slot[h % PROOF_CACHE_SLOTS];
    if (e->hash != h || e->len != len || memcmp(e->text, proof, len) != 0 ||
        now_ms >= e->who.expires_at_ms) {
        return 0;
    }
    *out = e->who;
    return 1;
}

void proof_cache_put(struct proof_cache *c, const char *proof, size_t len,
                     const struct identity *who)
{
    uint64_t h;
    struct proof_cache_entry *e;

    if (len == 0 || len > PROOF_CACHE_TEXT_MAX) {
        return;
    }
    h = proof_cache_hash(proof, len);
    e = &c->slot[h % PROOF_CACHE_SLOTS];
    e->hash = h;
    e->len = len;
    memcpy(e->text, proof, len);
    e->who = *who;
}
