/*
 * br_tokens: the queue tokens this bridge knows to be ACTIVE, so that a seat map can be
 * answered without asking the service.
 *
 * A token is remembered after the service accepted it for a read (ListSeats), with the concert
 * the service named and the end of its ACTIVE window (fixed at admission). The bridge does not
 * verify signatures: the full text is stored and compared whole, so only the very text the
 * service accepted is known. An entry ends at its active_until_ms, when forgotten by its
 * (concert, sequence) (the "ended/" event of an instance that ended the token) or by its text
 * (this bridge relayed the Pay or LeaveQueue that ended it), or when a full set drops it.
 *
 * Layout: a fixed set-associative table (sets of BR_TOKENS_WAYS entries placed by the hash of
 * (concert, sequence)) behind striped mutexes held for a few comparisons; nothing is allocated
 * after br_tokens_create. Every function may be called from any thread.
 */
#ifndef BR_TOKENS_H
#define BR_TOKENS_H

#include <stddef.h>
#include <stdint.h>

/* Entries per set: a full set drops its expired entry, else the one ending first. */
#define BR_TOKENS_WAYS 8

/* Room for a token's text with its NUL: longer texts are not remembered (read by rpc). */
#define BR_TOKENS_TEXT_MAX 100

struct br_tokens;

/* br_tokens_create makes an empty memory of at least capacity entries (rounded up to a power
 * of two, at least BR_TOKENS_WAYS); free it with br_tokens_destroy. BO_E_INVALID_ARGUMENT for 0
 * or more than 2^28, BO_E_NOMEM. */
__attribute__((warn_unused_result)) int br_tokens_create(size_t capacity, struct br_tokens **out);

/* br_tokens_destroy frees t; safe on NULL. */
void br_tokens_destroy(struct br_tokens *t);

/* br_tokens_parse reads the concert and sequence of the token text "v1.<c>.<u>.<seq>.<sig>"
 * (decimal ids, a non-empty signature; the signature is not checked). Returns BO_OK, or
 * BO_E_TOKEN_INVALID for any other text. */
__attribute__((warn_unused_result)) int br_tokens_parse(const char *text, uint64_t *concert_id,
                                                        uint64_t *sequence);

/* br_tokens_remember notes text (copied) as ACTIVE for concert_id until active_until_ms (wall
 * clock), replacing what was known of the same (concert, sequence). Returns BO_OK, or
 * BO_E_INVALID_ARGUMENT (nothing kept) when text does not parse, names another concert or is
 * too long, or active_until_ms is not after now_ms. */
__attribute__((warn_unused_result)) int br_tokens_remember(struct br_tokens *t, const char *text,
                                                           uint64_t concert_id,
                                                           int64_t active_until_ms, int64_t now_ms);

/* br_tokens_lookup returns BO_OK with *concert_id when exactly text is remembered and still
 * ACTIVE at now_ms; BO_E_NOT_FOUND otherwise (an entry found past its end is dropped). */
__attribute__((warn_unused_result)) int br_tokens_lookup(struct br_tokens *t, const char *text,
                                                         int64_t now_ms, uint64_t *concert_id);

/* br_tokens_forget drops the token (concert_id, sequence), whatever its text. */
void br_tokens_forget(struct br_tokens *t, uint64_t concert_id, uint64_t sequence);

/* br_tokens_forget_text drops the token text names (by its ids); text that does not parse,
 * or NULL, is ignored. */
void br_tokens_forget_text(struct br_tokens *t, const char *text);

/* br_tokens_count returns how many entries are held (some may be past their end). */
size_t br_tokens_count(const struct br_tokens *t);

/* br_tokens_remembered returns how many times a token was remembered since creation. */
uint64_t br_tokens_remembered(const struct br_tokens *t);

#endif
