/*
 * cache: the service's Redis state, behind plain records.
 *
 * Holds per-concert waiting queues (a sorted set scored by an atomic issue
 * sequence), active tokens with their expiry, the admission leader lease and
 * the admission settings. Multi-key changes run as Lua scripts (EVALSHA,
 * loaded on connect and again after NOSCRIPT), so every change is atomic
 * across service instances. hiredis stays inside cache.c; one struct cache is
 * one connection owned by one thread. A lost connection is reconnected and
 * the command retried once; otherwise BO_E_UNAVAILABLE.
 *
 * Key layout (all under the prefix "bo:"):
 *   bo:q:<c>:seq          INCR issue sequence of concert c
 *   bo:q:<c>:admitted     INCR admission counter of concert c
 *   bo:q:<c>:waiting      ZSET sequence -> sequence (FIFO)
 *   bo:q:<c>:active       ZSET sequence -> expires_at_ms
 *   bo:q:<c>:user:<u>     the sequence of user u's live token
 *   bo:t:<c>:<seq>        HASH user, status, issued, admitted, expires, admission_no
 *   bo:queues             SET of concert ids that have a queue
 *   bo:admission:leader   lease: holder id with a PX expiry
 *   bo:settings           HASH of admission settings set by an admin
 */
#ifndef SVC_CACHE_H
#define SVC_CACHE_H

#include "model.h"

#define CACHE_WUR __attribute__((warn_unused_result))

struct cache;

/* cache_open connects to "redis://host:port[/db]" (or "host:port"); caller closes with
 * cache_close. BO_E_UNAVAILABLE when unreachable, BO_E_INVALID_ARGUMENT for a bad URL. */
CACHE_WUR int cache_open(const char *url, struct cache **out);

/* cache_close closes the connection; safe on NULL. */
void cache_close(struct cache *c);

/* cache_ping checks the connection, reconnecting if needed. */
CACHE_WUR int cache_ping(struct cache *c);

/*
 * cache_token_issue gives user_id a place in concert_id's line. If the user already has a
 * live (WAITING, or ACTIVE and unexpired) token for that concert, returns it with
 * *created = 0; otherwise a new WAITING token with the next sequence, *created = 1.
 * out->position is filled for WAITING tokens.
 */
CACHE_WUR int cache_token_issue(struct cache *c, uint64_t concert_id, uint64_t user_id,
                                int64_t now_ms, struct queue_token *out, int *created);

/*
 * cache_token_use reads the token (concert_id, sequence) as of now_ms, with its position if
 * WAITING. An ACTIVE token past its expiry becomes EXPIRED (and leaves the active set). When
 * touch_ttl_ms > 0 and the token is ACTIVE, its expiry moves to now_ms + touch_ttl_ms (idle
 * expiry). An unknown token (never issued, or Redis lost it) is BO_E_TOKEN_EXPIRED.
 */
CACHE_WUR int cache_token_use(struct cache *c, uint64_t concert_id, uint64_t sequence,
                              int64_t now_ms, int64_t touch_ttl_ms, struct queue_token *out);

/* cache_token_expire ends the token now (after a payment): EXPIRED, out of the active set and
 * no longer the user's live token. Expiring an unknown or expired token is BO_OK. */
CACHE_WUR int cache_token_expire(struct cache *c, uint64_t concert_id, uint64_t sequence);

/*
 * cache_admit, in one script: drops active tokens of concert_id past their expiry, then moves
 * up to max_count waiting tokens, lowest sequence first, to ACTIVE while fewer than max_active
 * are active, each with expires_at_ms = now_ms + ttl_ms and the next admission_no. The
 * admitted tokens are written to out[0..*n) (capacity max_count), in admission order.
 */
CACHE_WUR int cache_admit(struct cache *c, uint64_t concert_id, int64_t now_ms, uint32_t max_active,
                          uint32_t max_count, int64_t ttl_ms, struct queue_token *out, size_t *n);

/* cache_queue_concerts lists concerts that have a queue; caller frees *ids with free(). */
CACHE_WUR int cache_queue_concerts(struct cache *c, uint64_t **ids, size_t *n);

/* cache_queue_counts reads how many tokens of the concert wait and how many are active. */
CACHE_WUR int cache_queue_counts(struct cache *c, uint64_t concert_id, uint64_t *waiting,
                                 uint64_t *active);

/* cache_lease_acquire takes the admission lease for holder, or renews it if holder has it,
 * for ttl_ms; *held tells whether holder has it now. */
CACHE_WUR int cache_lease_acquire(struct cache *c, const char *holder, int64_t ttl_ms, int *held);

/* cache_lease_release gives the lease up if holder has it. */
CACHE_WUR int cache_lease_release(struct cache *c, const char *holder);

/* cache_settings_get reads the admin's settings; fields never set come from defaults. */
CACHE_WUR int cache_settings_get(struct cache *c, const struct admission_settings *defaults,
                                 struct admission_settings *out);

/* cache_settings_set stores the non-zero fields of changes. */
CACHE_WUR int cache_settings_set(struct cache *c, const struct admission_settings *changes);

#endif
