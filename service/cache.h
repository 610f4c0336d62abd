/*
 * cache: the service's Redis state, behind plain records.
 *
 * Holds per-concert waiting queues (a sorted set scored by an atomic issue
 * sequence), active tokens with their expiry, the admission leader lease and
 * the admission settings. Multi-key changes run as Redis functions (the
 * library service/lua/boxoffice.lua, loaded on every connect and called with
 * FCALL), so every change is atomic across service instances. hiredis stays
 * inside service/cache_*.c (cache_conn: the connection; cache_token and
 * cache_admission: the operations below); one struct cache is one connection
 * owned by one thread. A lost connection is reconnected and the command
 * retried once; otherwise BO_E_UNAVAILABLE.
 *
 * Key layout (all under the prefix "bo:"):
 *   bo:q:<c>:seq          INCR issue sequence of concert c
 *   bo:q:<c>:admitted     INCR admission counter of concert c
 *   bo:q:<c>:waiting      ZSET sequence -> sequence (FIFO)
 *   bo:q:<c>:active       ZSET sequence -> expires_at_ms
 *   bo:q:<c>:user:<u>     the sequence of user u's live token
 *   bo:q:<c>:ended        LIST "<seq>:<user>" of tokens that ended (capped), drained by the
 *                         leader to publish EXPIRED events
 *   bo:q:<c>:recent       LIST "<no>:<seq>:<user>:<admitted>:<expires>" of the last admissions
 *                         (capped), sent again by a new leader so subscribers miss none
 *   bo:q:<c>:stats        HASH rate (measured admissions per second, "12.345"), at (ms);
 *                         written by the leader once a second, lapses after a minute
 *   bo:t:<c>:<seq>        HASH user, status, issued, admitted, expires, admission_no, seen
 *                         (seen: when the holder last showed up, for abandoned-token skipping)
 *   bo:queues             SET of concert ids that have a queue
 *   bo:admission:leader   lease: holder id with a PX expiry
 *   bo:settings           HASH of admission settings set by an admin
 */
#ifndef SVC_CACHE_H
#define SVC_CACHE_H

#include "model.h"

#define CACHE_WUR __attribute__((warn_unused_result))

struct cache;

/* cache_open connects to "redis://[[user]:password@]host[:port][/db]" (or "host:port");
 * caller closes with cache_close. BO_E_UNAVAILABLE when unreachable, BO_E_INVALID_ARGUMENT for
 * a bad URL. */
CACHE_WUR int cache_open(const char *url, struct cache **out);

/* cache_close closes the connection; safe on NULL. */
void cache_close(struct cache *c);

/* cache_ping checks the connection, reconnecting if needed. */
CACHE_WUR int cache_ping(struct cache *c);

/* Largest number of tokens one cache_tokens_touch call takes. */
#define CACHE_TOUCH_MAX 20000

/* A measured admission rate below this (thousandths of an admission per second) is no
 * measurement: estimates fall back to the configured rate. */
#define CACHE_RATE_MIN_MILLI 50

/*
 * cache_token_issue gives user_id a place in concert_id's line. If the user already has a
 * live (WAITING, or ACTIVE and unexpired) token for that concert, returns it with
 * *created = 0; otherwise a new WAITING token with the next sequence, *created = 1.
 * out->position is filled for WAITING tokens; a WAITING token counts as seen now. When
 * rate_milli is not NULL it receives the concert's measured admission rate (thousandths
 * per second, 0 when none is stored).
 */
CACHE_WUR int cache_token_issue(struct cache *c, uint64_t concert_id, uint64_t user_id,
                                int64_t now_ms, struct queue_token *out, int *created,
                                int64_t *rate_milli);

/*
 * cache_token_use reads the token (concert_id, sequence) as of now_ms, with its position if
 * WAITING. An ACTIVE token past its expiry becomes EXPIRED (and leaves the active set). When
 * touch_ttl_ms > 0 and the token is ACTIVE, its expiry moves to now_ms + touch_ttl_ms (idle
 * expiry). When seen_every_ms > 0 and the token is WAITING, its last-seen time moves to
 * now_ms if it is at least seen_every_ms old (so frequent polls write rarely). An unknown
 * token (never issued, or Redis lost it) is BO_E_TOKEN_EXPIRED. rate_milli (may be NULL)
 * receives the measured admission rate when the token is WAITING, else 0.
 */
CACHE_WUR int cache_token_use(struct cache *c, uint64_t concert_id, uint64_t sequence,
                              int64_t now_ms, int64_t touch_ttl_ms, int64_t seen_every_ms,
                              struct queue_token *out, int64_t *rate_milli);

/* A token named by a verified signature, for cache_tokens_touch. */
struct cache_token_ref {
    uint64_t concert_id;
    uint64_t user_id;
    uint64_t sequence;
};

/* What cache_tokens_touch found for each token. */
enum cache_touch_state {
    CACHE_TOUCH_WAITING = 'W', /* live and waiting: its last-seen time was refreshed */
    CACHE_TOUCH_ACTIVE = 'A',  /* live and ACTIVE (its idle expiry is not extended) */
    CACHE_TOUCH_GONE = 'X',    /* ended, unknown, or another user's (Redis lost its data) */
};

/*
 * cache_tokens_touch marks the holders of refs[0..n) as present, in one round trip (function
 * calls of up to 2,000 tokens, pipelined): each WAITING token's last-seen time moves to now_ms when
 * at least seen_every_ms old. state[i] receives an enum cache_touch_state per token (caller's array
 * of n). n at most CACHE_TOUCH_MAX.
 */
CACHE_WUR int cache_tokens_touch(struct cache *c, const struct cache_token_ref *refs, size_t n,
                                 int64_t now_ms, int64_t seen_every_ms, char *state);

/* cache_token_expire ends the token now (after a payment): EXPIRED, out of the active set and
 * no longer the user's live token. Expiring an unknown or expired token is BO_OK. */
CACHE_WUR int cache_token_expire(struct cache *c, uint64_t concert_id, uint64_t sequence);

/* What one cache_admission_step may do. */
struct cache_admit_params {
    int64_t now_ms;
    uint32_t max_active; /* ACTIVE tokens of the concert at most */
    uint32_t max_count;  /* tokens to admit at most (0: only clean up and collect) */
    int64_t ttl_ms;      /* an admitted token's idle expiry */
    int64_t abandon_ms;  /* a WAITING token not seen this long is ended, not admitted; 0 never */
};

/* What one cache_admission_step did. */
struct cache_admit_result {
    size_t admitted;  /* tokens written to admitted[], in admission order */
    size_t ended;     /* tokens written to ended[] (status EXPIRED), oldest end first */
    size_t skipped;   /* abandoned tokens ended at the head of the line instead of admitted */
    uint64_t waiting; /* tokens still waiting after the step */
};

/*
 * cache_admission_step, in one function call: ends ACTIVE tokens of concert_id past their expiry;
 * then, while fewer than max_active are ACTIVE, moves up to max_count waiting tokens, lowest
 * sequence first, to ACTIVE (expiry now_ms + ttl_ms, the next admission_no), ending instead
 * the abandoned ones it meets (they use neither the count nor max_active); then takes up to
 * ended_cap tokens from the concert's list of ended tokens (whoever ended them) into ended[].
 * admitted[] has room for max_count tokens. Not repeated after a lost reply.
 */
CACHE_WUR int cache_admission_step(struct cache *c, uint64_t concert_id,
                                   const struct cache_admit_params *p, struct queue_token *admitted,
                                   struct queue_token *ended, size_t ended_cap,
                                   struct cache_admit_result *res);

/*
 * cache_admit is cache_admission_step without abandon skipping and without collecting ended
 * tokens: admits up to max_count (out has room for them) into out[0..*n).
 */
CACHE_WUR int cache_admit(struct cache *c, uint64_t concert_id, int64_t now_ms, uint32_t max_active,
                          uint32_t max_count, int64_t ttl_ms, struct queue_token *out, size_t *n);

/* A waiting token at the head of a line, for position updates. */
struct cache_waiter {
    uint64_t sequence;
    uint64_t user_id;
};

/*
 * cache_line_after reads up to max waiting tokens of concert_id whose sequence is above
 * after_seq (0: from the head), in line order, in one function call: out[i] stands at 1-based
 * position *first_position + i as of the read. out has room for max; *n receives how many.
 * Reading a long line a slice at a time keeps each call short.
 */
CACHE_WUR int cache_line_after(struct cache *c, uint64_t concert_id, uint64_t after_seq, size_t max,
                               struct cache_waiter *out, size_t *n, uint64_t *first_position);

/*
 * cache_recent_admissions reads the concert's last admissions made at or after since_ms,
 * oldest first, into out (room for max, status ACTIVE with the expiry they were admitted
 * with), for a new leader to announce again.
 */
CACHE_WUR int cache_recent_admissions(struct cache *c, uint64_t concert_id, int64_t since_ms,
                                      struct queue_token *out, size_t max, size_t *n);

/* cache_stats_set stores the concert's measured admission rate (thousandths per second). */
CACHE_WUR int cache_stats_set(struct cache *c, uint64_t concert_id, int64_t rate_milli,
                              int64_t now_ms);

/* cache_stats_get reads the measured rate; *rate_milli is 0 when none is stored. */
CACHE_WUR int cache_stats_get(struct cache *c, uint64_t concert_id, int64_t *rate_milli);

/* cache_queue_concerts lists concerts that have a queue; caller frees *ids with free(). */
CACHE_WUR int cache_queue_concerts(struct cache *c, uint64_t **ids, size_t *n);

/* cache_queue_counts reads how many tokens of the concert wait and how many are active. */
CACHE_WUR int cache_queue_counts(struct cache *c, uint64_t concert_id, uint64_t *waiting,
                                 uint64_t *active);

/* cache_lease_acquire takes the admission lease for holder, or renews it if holder has it,
 * for ttl_ms; *held tells whether holder has it now. */
CACHE_WUR int cache_lease_acquire(struct cache *c, const char *holder, int64_t ttl_ms, int *held);

/* cache_lease_holder writes who holds the admission lease into out ("" when nobody). */
CACHE_WUR int cache_lease_holder(struct cache *c, char *out, size_t outlen);

/* cache_lease_release gives the lease up if holder has it. */
CACHE_WUR int cache_lease_release(struct cache *c, const char *holder);

/* cache_settings_get reads the admin's settings; fields never set come from defaults. */
CACHE_WUR int cache_settings_get(struct cache *c, const struct admission_settings *defaults,
                                 struct admission_settings *out);

/* cache_settings_set stores the non-zero fields of changes. */
CACHE_WUR int cache_settings_set(struct cache *c, const struct admission_settings *changes);

#endif
