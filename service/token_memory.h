/*
 * token_memory: the ACTIVE queue tokens this instance has seen lately, kept once per process so
 * that reads (seat maps, dates) check a known token without a Redis round trip.
 *
 * A token is known by (concert_id, sequence), with its user and the end of its ACTIVE window,
 * which is fixed at admission. It is remembered when Redis says it is ACTIVE and forgotten when
 * it ends sooner (by payment or leaving, here or at a peer: the "ended/" events). A forgotten
 * token is kept as ended for a while, so that a check that read it ACTIVE from Redis just
 * before it ended cannot remember it again. Writes never use this memory.
 *
 * Bounded: a fixed number of slots in small sets; a new token takes the slot of the one whose
 * window ends first. Every function may be called from any thread and does nothing (or finds
 * nothing) on a NULL memory.
 */
#ifndef SVC_TOKEN_MEMORY_H
#define SVC_TOKEN_MEMORY_H

#include <stddef.h>
#include <stdint.h>

/* Tokens one instance remembers at most. */
#define TOKEN_MEMORY_SLOTS 131072

struct token_memory;

/* token_memory_open makes an empty memory of slots slots (rounded up to a whole set); close it
 * with token_memory_close. BO_E_INVALID_ARGUMENT for 0 slots, BO_E_NOMEM. */
__attribute__((warn_unused_result)) int token_memory_open(size_t slots, struct token_memory **out);

/* token_memory_close frees the memory; safe on NULL. */
void token_memory_close(struct token_memory *tm);

/* token_memory_remember notes that the token (concert_id, sequence) of user_id is ACTIVE until
 * active_until_ms (wall clock), unless it was forgotten lately (it ended). */
void token_memory_remember(struct token_memory *tm, uint64_t concert_id, uint64_t sequence,
                           uint64_t user_id, int64_t active_until_ms, int64_t now_ms);

/* token_memory_active says whether the token (concert_id, sequence) of user_id is known ACTIVE
 * at now_ms (1, *active_until_ms set) or not known so (0: ask Redis). */
int token_memory_active(struct token_memory *tm, uint64_t concert_id, uint64_t sequence,
                        uint64_t user_id, int64_t now_ms, int64_t *active_until_ms);

/* token_memory_forget notes that the token (concert_id, sequence) ended at now_ms. */
void token_memory_forget(struct token_memory *tm, uint64_t concert_id, uint64_t sequence,
                         int64_t now_ms);

#endif
