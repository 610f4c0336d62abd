/*
 * cache: the service's Redis state, behind plain records.
 *
 * Holds per-concert waiting lines (places handed out with an atomic issue sequence, dealt out
 * again in a random order at a sale's opening), active tokens with their fixed expiry, the
 * admission leader lease, the admission settings, revoked sessions, rate-limit counters and
 * the limits. Multi-key changes run as Redis functions (the library
 * service/lua/boxoffice.lua, loaded on every connect and called with FCALL), so every change
 * is atomic across service instances. hiredis stays inside service/cache_*.c (cache_conn: the
 * connection; cache_token, cache_admission and cache_limits: the operations below, in that
 * order); one struct cache is one connection owned by one thread. A lost connection is
 * reconnected and the command retried once; otherwise BO_E_UNAVAILABLE.
 *
 * A waiting token costs 50-140 bytes of Redis, fewer the longer the line (measured by
 * bench/line, bounded by test_cache): no key of its own. Its record is a field of a hash of 64
 * neighbouring sequences, its user's entry a field of one of 32,768 hashes (both packed by
 * Redis), and its place in line a number: the line is every place above the head except the
 * holes that tokens ending out of turn leave, so a position is place - head - holes before it
 * (O(log holes)).
 *
 * Key layout (all under the prefix "bo:"):
 *   bo:q:<c>:seq          INCR issue sequence of concert c; a token's place in line is its
 *                         sequence until a shuffle deals the places out again
 *   bo:q:<c>:admitted     INCR admission counter of concert c
 *   bo:q:<c>:r:<n>        HASH sequence -> record of the tokens of sequences 64n..64n+63:
 *                         "W<user>:<issued>:<seen - issued>" (WAITING; seen: when the holder
 *                         last showed up, for abandoned-token skipping),
 *                         "A<user>:<issued>:<admitted>:<expires>:<admission_no>" (ACTIVE), "X..."
 *                         as A, zeros when it never was ACTIVE (ended; kept after its end for
 *                         cache_ended_keep_set's time, 10 minutes by default, then swept)
 *   bo:q:<c>:u:<n>        HASH user -> the sequence of user's live token, for the users whose
 *                         last six digits are n modulo 32768
 *   bo:q:<c>:left         ZSET place -> place: holes above the head (tokens that ended WAITING
 *                         out of turn), for positions; dropped as the head passes them
 *   bo:q:<c>:perm         STRING written by a shuffle: the sequence whose each place is, from
 *                         place meta pbase to meta perm, 5 bytes big-endian each (0: a hole)
 *   bo:q:<c>:inv          STRING written by a shuffle: the place of each sequence from meta
 *                         ibase on, 5 bytes each (0: not shuffled); both dropped once the head
 *                         passes meta perm
 *   bo:q:<c>:active       ZSET sequence -> expires_at_ms
 *   bo:q:<c>:meta         HASH opens (the sale's opening time, ms; 0: open; absent: not told),
 *                         shuffled (the opens value whose shuffle is done), before (the last
 *                         sequence issued while the sale was closed and not yet shuffled), head
 *                         (every place up to it has left the line; absent: the line starts after
 *                         bo:q:<c>:seq), perm, pbase, ibase (the shuffle's strings)
 *   bo:q:<c>:ended        LIST "<seq>:<user>" of tokens that ended (capped), drained by the
 *                         leader to publish EXPIRED events
 *   bo:q:<c>:gone         LIST "<ended_ms>:<seq>" of ended records in order, swept that long
 *                         after their end (a few by every end, more by every admission step)
 *   bo:q:<c>:recent       LIST "<no>:<seq>:<user>:<admitted>:<expires>" of the last admissions
 *                         (capped), sent again by a new leader so subscribers miss none
 *   bo:q:<c>:stats        HASH rate (measured admissions per second, "12.345"), at (ms);
 *                         written by the leader once a second, lapses after a minute
 *   bo:queues             SET of concert ids whose line has a token waiting or an end to
 *                         announce: the leader steps each every tick. An issue adds its concert,
 *                         the admission step that finds neither moves it to bo:later
 *   bo:later              ZSET concert id -> when its next step is due (wall ms): its first
 *                         ACTIVE token's expiry or its oldest ended record's sweep
 *   bo:admission:leader   lease: holder id with a PX expiry
 *   bo:settings           HASH of admission settings set by an admin
 *   bo:limits             HASH of rate limits set by an admin (struct limits' fields)
 *   bo:rl:<kind>:<scope>:<minute>  rate-limit counter of one one-minute window (minute = ms /
 *                         60000), lapsing a little after the window
 *   bo:revoked:<sid>      "1" while session sid is revoked, lapsing when it would have expired
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

/* Calls of many threads sent to Redis together: one connection of its own, on which a call
 * that may be repeated (a token issue or use, a read) waits at most for the pipeline in flight
 * and then goes out with every other call waiting, so Redis reads and answers them in one go
 * (one read and one write for many callers instead of one each). Shared by threads; opaque. */
struct cache_batch;

/* cache_batch_open connects a batch's own connection to url (as cache_open); caller closes it
 * with cache_batch_close after every cache attached to it. */
CACHE_WUR int cache_batch_open(const char *url, struct cache_batch **out);

/* cache_batch_close closes b; safe on NULL. No call may be waiting on it. */
void cache_batch_close(struct cache_batch *b);

/* cache_batch_attach makes c send its single repeatable calls through b (borrowed until c is
 * closed; NULL: its own connection again). Calls that change state and must not be repeated,
 * and pipelines, keep c's own connection. */
void cache_batch_attach(struct cache *c, struct cache_batch *b);

/*
 * The Redis commands of a Batch's calls in one pipeline (cache_defer.c). A handler runs to its
 * end, so the calls of a Batch are served in passes: in each, every call not yet answered is
 * served from its start (cache_defer_serve names it); its token calls and revocation check
 * already run answer from what Redis said, and the first one not yet run is collected and
 * stops the serve (it fails BO_E_UNAVAILABLE and cache_defer_stopped says so: the answer is
 * dropped). cache_defer_flush then sends what the pass collected in one round trip. Every
 * command runs once; what a call does before its stop is done again next pass, so only calls
 * whose work up to a token call may be repeated are served this way. A call makes at most
 * CACHE_DEFER_DEPTH such commands in passes; more run at once.
 */
#define CACHE_DEFER_DEPTH 4

/* cache_defer_begin starts serving n calls in passes on c. BO_OK, or BO_E_NOMEM, or
 * BO_E_UNAVAILABLE for no cache (serve them directly then). Ended by cache_defer_end. */
CACHE_WUR int cache_defer_begin(struct cache *c, size_t n);

/* cache_defer_serve says the serve about to run is of call i (< n): its commands replay or
 * collect. */
void cache_defer_serve(struct cache *c, size_t i);

/* cache_defer_direct says what runs next goes to Redis at once (a call not served in passes,
 * or nothing in particular). */
void cache_defer_direct(struct cache *c);

/* cache_defer_stopped tells whether the last serve stopped at a command it collected. */
int cache_defer_stopped(const struct cache *c);

/* cache_defer_flush sends the commands collected since the last flush in one pipeline and keeps
 * each outcome (a reply, or why it failed) for its call's next serve. Returns how many went. */
size_t cache_defer_flush(struct cache *c);

/* cache_defer_end frees the outcomes kept; c's commands go to Redis at once again. */
void cache_defer_end(struct cache *c);

/* How long an ended token's record is kept after its end unless cache_ended_keep_set says
 * otherwise (ms): a client retrying a call whose answer it lost reads the token's details. */
#define CACHE_ENDED_KEEP_MS 600000

/* cache_ended_keep_set makes c's calls that can end a token (issue, use, leave, expire, the
 * admission step) keep ended records keep_ms after their end before the sweeps delete them
 * (keep_ms <= 0: CACHE_ENDED_KEEP_MS, the default of a new cache). */
void cache_ended_keep_set(struct cache *c, int64_t keep_ms);

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
 * *created = 0; otherwise a new WAITING token with the next sequence, *created = 1. opens_ms
 * is the concert's opening time as the store has it (0: open), stored only when Redis has
 * none for the concert (a new or flushed Redis) and it lies ahead: changes go through
 * cache_concert_opens_set alone, so an issue that read the store just before a change cannot
 * undo it. A WAITING token has out->position while the sale is open; before the opening its
 * position is 0 and out->sale_opens_at_ms the opening time. A WAITING token counts as seen
 * now. When rate_milli is not NULL it receives the concert's measured admission rate
 * (thousandths per second, 0 when none is stored or the sale has not opened). With rate
 * limits: cache_token_issue_limited.
 */
CACHE_WUR int cache_token_issue(struct cache *c, uint64_t concert_id, uint64_t user_id,
                                int64_t now_ms, int64_t opens_ms, struct queue_token *out,
                                int *created, int64_t *rate_milli);

/*
 * cache_token_use reads user_id's token (concert_id, sequence) as of now_ms, with its
 * position (or the opening time) if WAITING, as cache_token_issue answers. An ACTIVE token's
 * expiry is fixed at its admission: past it the token becomes EXPIRED (and leaves the active
 * set). When seen_every_ms > 0 and the token is WAITING, its last-seen time moves to now_ms
 * if it is at least seen_every_ms old (so frequent polls write rarely). An unknown token
 * (never issued, or Redis lost it) is BO_E_TOKEN_EXPIRED, and so is one whose record names
 * another user (Redis lost user_id's token and gave its sequence to someone else): the function
 * compares the users before any write, so nothing is written then. rate_milli (may be NULL)
 * receives the measured admission rate when the token is WAITING, else 0.
 */
CACHE_WUR int cache_token_use(struct cache *c, uint64_t concert_id, uint64_t sequence,
                              uint64_t user_id, int64_t now_ms, int64_t seen_every_ms,
                              struct queue_token *out, int64_t *rate_milli);

/*
 * cache_token_leave ends user_id's live (WAITING, or ACTIVE and unexpired) token (concert_id,
 * sequence) now, as a payment does (its EXPIRED event is announced), and returns it as it is
 * now (status EXPIRED) in *out. An unknown or already ended token is BO_E_TOKEN_EXPIRED, and
 * so is a record of another user (as for cache_token_use: nothing is written). Not repeated
 * after a lost reply (BO_E_UNAVAILABLE then).
 */
CACHE_WUR int cache_token_leave(struct cache *c, uint64_t concert_id, uint64_t sequence,
                                uint64_t user_id, int64_t now_ms, struct queue_token *out);

/* A token named by a verified signature, for cache_tokens_touch. */
struct cache_token_ref {
    uint64_t concert_id;
    uint64_t user_id;
    uint64_t sequence;
};

/* What cache_tokens_touch found for each token. */
enum cache_touch_state {
    CACHE_TOUCH_WAITING = 'W', /* live and waiting: its last-seen time was refreshed */
    CACHE_TOUCH_ACTIVE = 'A',  /* live and ACTIVE (its fixed expiry does not move) */
    CACHE_TOUCH_GONE = 'X',    /* ended, unknown, or another user's (Redis lost its data) */
};

/*
 * cache_tokens_touch marks the holders of refs[0..n) as present, in one round trip (function
 * calls of up to 2,000 tokens, pipelined): each WAITING token's last-seen time moves to now_ms when
 * at least seen_every_ms old. state[i] receives an enum cache_touch_state per token (caller's array
 * of n); a record of another user than refs[i].user_id is GONE and not written. n at most
 * CACHE_TOUCH_MAX.
 */
CACHE_WUR int cache_tokens_touch(struct cache *c, const struct cache_token_ref *refs, size_t n,
                                 int64_t now_ms, int64_t seen_every_ms, char *state);

/* cache_token_expire ends user_id's token now (after a payment): EXPIRED, out of the active set
 * and no longer the user's live token. Expiring an unknown or expired token is BO_OK; a record
 * of another user (Redis lost user_id's token and gave its sequence to someone else) is
 * BO_E_TOKEN_EXPIRED, and nothing is written. */
CACHE_WUR int cache_token_expire(struct cache *c, uint64_t concert_id, uint64_t sequence,
                                 uint64_t user_id);

/* What one cache_admission_step may do. */
struct cache_admit_params {
    int64_t now_ms;
    uint32_t max_active; /* ACTIVE tokens of the concert at most */
    uint32_t max_count;  /* tokens to admit at most (0: only clean up and collect) */
    int64_t ttl_ms;      /* an admitted token's fixed window */
    int64_t abandon_ms;  /* a WAITING token not seen this long is ended, not admitted; 0 never */
    const char *holder;  /* borrowed: the step runs only while holder has the leader lease (a
                          * leader paused past its lease changes nothing); NULL: unfenced */
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
 * then, unless now_ms is before the concert's opening time (nothing is admitted then), while
 * fewer than max_active are ACTIVE, moves up to max_count waiting tokens, lowest place first,
 * to ACTIVE (expiry now_ms + ttl_ms, the next admission_no), ending instead the abandoned ones
 * it meets (they use neither the count nor max_active); then sweeps the records of tokens that
 * ended more than the keep time (cache_ended_keep_set) before now_ms and takes up to ended_cap
 * tokens from the concert's list of ended tokens (whoever ended them) into ended[]. The first step
 * at or after an opening first places the tokens that joined before it in a uniformly random order
 * among themselves, ahead of later joiners (seeded from OpenSSL's RAND_bytes; 100,000 tokens take a
 * few hundred ms of Redis at most). admitted[] has room for max_count tokens. Not repeated after a
 * lost reply.
 */
CACHE_WUR int cache_admission_step(struct cache *c, uint64_t concert_id,
                                   const struct cache_admit_params *p, struct queue_token *admitted,
                                   struct queue_token *ended, size_t ended_cap,
                                   struct cache_admit_result *res);

/* What a pipelined step of concert i did: rc its own code (BO_OK: res says what it did, and
 * the arrays given to cache_admission_steps hold its tokens until done returns). */
typedef void (*cache_admit_step_fn)(void *arg, size_t i, int rc,
                                    const struct cache_admit_result *res);

/* Steps cache_admission_steps sends in one round trip at most. */
#define CACHE_STEPS_MAX 16

/*
 * cache_admission_steps is cache_admission_step of concert_ids[i] with ps[i] for every i in
 * [0, n) (1..CACHE_STEPS_MAX), in one round trip: done is called for each in order, its tokens
 * decoded into admitted[] (room for the largest max_count) and ended[]. Returns the round
 * trip's failure (then done is not called: none of the steps is known to have run or not).
 */
CACHE_WUR int cache_admission_steps(struct cache *c, const uint64_t *concert_ids,
                                    const struct cache_admit_params *ps, size_t n,
                                    struct queue_token *admitted, struct queue_token *ended,
                                    size_t ended_cap, cache_admit_step_fn done, void *arg);

/*
 * cache_admit is cache_admission_step without abandon skipping and without collecting ended
 * tokens: admits up to max_count (out has room for them) into out[0..*n).
 */
CACHE_WUR int cache_admit(struct cache *c, uint64_t concert_id, int64_t now_ms, uint32_t max_active,
                          uint32_t max_count, int64_t ttl_ms, struct queue_token *out, size_t *n);

/* A waiting token at the head of a line, for position updates. */
struct cache_waiter {
    uint64_t sequence; /* 0 (and user_id 0) when its record was unreadable */
    uint64_t user_id;
    uint64_t score; /* its place in the line: the cursor of the next cache_line_after */
};

/*
 * cache_line_after reads up to max waiting tokens of concert_id whose score is above
 * after_score (0: from the head), in line order, in one function call: out[i] stands at
 * 1-based position *first_position + i as of the read. out has room for max; *n receives how
 * many. Reading a long line a slice at a time (each after the last one's score) keeps each
 * call short: one looks through about 8 x max places at most, so only a run of tokens that
 * left far longer than the slice ends it early. While the concert's sale has not opened (by
 * Redis's clock) the line has no positions yet: nothing is read (*n = 0).
 */
CACHE_WUR int cache_line_after(struct cache *c, uint64_t concert_id, uint64_t after_score,
                               size_t max, struct cache_waiter *out, size_t *n,
                               uint64_t *first_position);

/*
 * cache_concert_opens_set records the admin's setting of the concert's opening time (0: open
 * now), at creation or change. A future time closes the sale until then (and the line is
 * shuffled again when it comes); a time at or before now opens a sale that had not opened
 * yet, as of now (the next admission step shuffles whoever waited), and leaves an open one
 * alone. From then on token issues no longer store the time they read.
 */
CACHE_WUR int cache_concert_opens_set(struct cache *c, uint64_t concert_id, int64_t opens_ms);

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

/* cache_queue_counts_many is cache_queue_counts of ids[0..n) (1..CACHE_STEPS_MAX) in one round
 * trip: codes[i] is each one's code (BO_OK: waiting[i] and active[i] are set). Returns the round
 * trip's failure (then no code is set). */
CACHE_WUR int cache_queue_counts_many(struct cache *c, const uint64_t *ids, size_t n,
                                      uint64_t *waiting, uint64_t *active, int *codes);

/* cache_queue_counts reads how many tokens of the concert wait and how many are active. */
CACHE_WUR int cache_queue_counts(struct cache *c, uint64_t concert_id, uint64_t *waiting,
                                 uint64_t *active);

/* cache_due_concerts lists up to max concerts out of bo:queues whose next admission step is due
 * at now_ms (wall clock: an ACTIVE token expired or an ended record to sweep), earliest first;
 * each stays due until a step (cache_admission_step) has run; now_ms INT64_MAX lists every one.
 * Caller frees *ids with free(). */
CACHE_WUR int cache_due_concerts(struct cache *c, int64_t now_ms, uint32_t max, uint64_t **ids,
                                 size_t *n);

/* cache_lease_acquire takes the admission lease for holder, or renews it if holder has it,
 * for ttl_ms; *held tells whether holder has it now. */
CACHE_WUR int cache_lease_acquire(struct cache *c, const char *holder, int64_t ttl_ms, int *held);

/* cache_lease_holder writes who holds the admission lease into out ("" when nobody). */
CACHE_WUR int cache_lease_holder(struct cache *c, char *out, size_t outlen);

/* cache_lease_release gives the lease up if holder has it. */
CACHE_WUR int cache_lease_release(struct cache *c, const char *holder);

/* ---- admin settings, sessions and rate limits (cache_limits.c) ---- */

/* cache_settings_get reads the admin's settings; fields never set come from defaults. */
CACHE_WUR int cache_settings_get(struct cache *c, const struct admission_settings *defaults,
                                 struct admission_settings *out);

/* cache_settings_set stores the non-zero fields of changes. */
CACHE_WUR int cache_settings_set(struct cache *c, const struct admission_settings *changes);

/* Longest session id cache_session_revoke and cache_session_revoked take. */
#define CACHE_SESSION_ID_MAX 128

/* cache_session_revoke marks session sid (1..CACHE_SESSION_ID_MAX bytes) revoked on every
 * instance until expires_at_ms (when it would have expired anyway; Redis drops the mark then). */
CACHE_WUR int cache_session_revoke(struct cache *c, const char *sid, int64_t expires_at_ms);

/* cache_session_revoked sets *revoked to 1 when session sid is revoked, else 0. */
CACHE_WUR int cache_session_revoked(struct cache *c, const char *sid, int *revoked);

/* Rate limits per minute, the push listener's connection caps and the edge's REST connection
 * cap, each 0 = off (admin settings, stored in bo:limits). */
struct limits {
    uint32_t user_logins;
    uint32_t user_token_issues;
    uint32_t user_holds;
    uint32_t user_charges;
    uint32_t address_signups;
    uint32_t address_logins;
    uint32_t address_token_issues;
    uint32_t address_holds;
    uint32_t address_charges;
    uint32_t address_push_connections; /* open push connections per client address */
    uint32_t token_push_connections;   /* open push connections per queue token */
    uint32_t address_rest_connections; /* open REST connections per client address (the edge) */
};

/* Bits of a cache_limits_set mask: one per field of struct limits, in its order. */
enum cache_limit_bit {
    CACHE_LIMIT_USER_LOGINS = 1u << 0,
    CACHE_LIMIT_USER_TOKEN_ISSUES = 1u << 1,
    CACHE_LIMIT_USER_HOLDS = 1u << 2,
    CACHE_LIMIT_USER_CHARGES = 1u << 3,
    CACHE_LIMIT_ADDRESS_SIGNUPS = 1u << 4,
    CACHE_LIMIT_ADDRESS_LOGINS = 1u << 5,
    CACHE_LIMIT_ADDRESS_TOKEN_ISSUES = 1u << 6,
    CACHE_LIMIT_ADDRESS_HOLDS = 1u << 7,
    CACHE_LIMIT_ADDRESS_CHARGES = 1u << 8,
    CACHE_LIMIT_ADDRESS_PUSH_CONNECTIONS = 1u << 9,
    CACHE_LIMIT_TOKEN_PUSH_CONNECTIONS = 1u << 10,
    CACHE_LIMIT_ADDRESS_REST_CONNECTIONS = 1u << 11,
    CACHE_LIMIT_ALL = (1u << 12) - 1,
};

/* cache_limits_get reads the admin's limits; fields never set come from defaults. */
CACHE_WUR int cache_limits_get(struct cache *c, const struct limits *defaults, struct limits *out);

/* cache_limits_set stores the fields of values whose bit (enum cache_limit_bit) is set in
 * *present_mask (every field when present_mask is NULL); 0 stores "off". */
CACHE_WUR int cache_limits_set(struct cache *c, const struct limits *values,
                               const uint32_t *present_mask);

/* Most checks one cache_rate_hit takes. */
#define CACHE_RATE_CHECKS_MAX 4
/* Longest kind and scope of a check. */
#define CACHE_RATE_KIND_MAX  32
#define CACHE_RATE_SCOPE_MAX 128

/* One counter to check and count: kind names the action ("login"), scope who acts ("u:42",
 * "a:10.0.0.1"); both borrowed for the call. limit 0: no limit (the check is skipped). */
struct cache_rate_check {
    const char *kind;
    const char *scope;
    uint32_t limit;
};

/*
 * cache_rate_hit counts one action against checks[0..n) (n at most CACHE_RATE_CHECKS_MAX) in
 * fixed one-minute windows, in one function call: when any counter of the current window is
 * at its limit, nothing is counted and BO_E_RATE_LIMITED is returned with *retry_after_s (the
 * seconds until that window ends, at least 1) and *refused_index (which check; both may be
 * NULL); otherwise every counter goes up by one and BO_OK. No round trip when every limit
 * is 0. A lost reply is repeated, so an action may rarely count twice.
 */
CACHE_WUR int cache_rate_hit(struct cache *c, const struct cache_rate_check *checks, size_t n,
                             int64_t now_ms, uint32_t *retry_after_s, size_t *refused_index);

/* Rate checks a call counts along with its own change, in the same function call, and what a
 * refusal said. The caller fills check[0..n) (strings borrowed for the call, as for
 * cache_rate_hit); the call fills the rest. */
struct cache_rate_checks {
    struct cache_rate_check check[CACHE_RATE_CHECKS_MAX];
    size_t n;
    uint32_t retry_after_s; /* on BO_E_RATE_LIMITED: seconds until that window ends, >= 1 */
    size_t refused;         /* on BO_E_RATE_LIMITED: the index of the check that refused */
};

/*
 * cache_token_issue_limited is cache_token_issue counting one action against limits->check
 * first, in the same function call (one round trip): when a counter of the current window is
 * at its limit, nothing is counted, nothing is issued or stored, and BO_E_RATE_LIMITED is
 * returned with limits->retry_after_s and limits->refused; otherwise every counter goes up by
 * one (also when the user's live token is returned) and the issue goes on. limits NULL (or n
 * 0, or every limit 0) counts nothing. A lost reply is repeated, so an issue may rarely count
 * twice.
 */
CACHE_WUR int cache_token_issue_limited(struct cache *c, uint64_t concert_id, uint64_t user_id,
                                        int64_t now_ms, int64_t opens_ms,
                                        struct cache_rate_checks *limits, struct queue_token *out,
                                        int *created, int64_t *rate_milli);

#endif
