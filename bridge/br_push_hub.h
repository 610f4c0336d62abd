/*
 * br_push_hub: which open push connections follow which queue token.
 *
 * A hash map from token id ("1-42") to one entry per token: the signed token
 * text (for TouchTokens), the latest known state, a version counter, and the
 * list of connections following it (a browser may open several tabs). Every
 * connection embeds a br_push_member; the hub links it into its token's
 * entry. An entry lives exactly as long as it has members.
 *
 * State only moves forward: WAITING -> ACTIVE -> EXPIRED. An update of a
 * lower rank than the entry's is dropped (a late POSITION after the
 * admission, a duplicate ADMITTED replayed by an instance taking over);
 * when an update changes the entry, its version grows and the hub calls
 * wake() for every member, whose connection then writes the entry's state
 * (one message, the newest) when it can. An update for a token nobody
 * follows costs one hash lookup.
 *
 * Used by the push loop thread only: no locking.
 */
#ifndef BR_PUSH_HUB_H
#define BR_PUSH_HUB_H

#include <stddef.h>
#include <stdint.h>

/* Token id texts are "<concertId>-<sequence>": two 20-digit numbers and a dash. */
#define BR_PUSH_TOKEN_ID_MAX 48

enum br_push_status {
    BR_PUSH_WAITING = 1,
    BR_PUSH_ACTIVE = 2,
    BR_PUSH_EXPIRED = 3,
};

/* A token's state as a push message tells it. */
struct br_push_state {
    int status; /* enum br_push_status */
    uint64_t position;
    uint32_t eta_seconds;
    int64_t admitted_at_ms;   /* ACTIVE only */
    int64_t expires_at_ms;    /* ACTIVE only */
    int64_t sale_opens_at_ms; /* WAITING for the sale to open: when it opens; else 0 */
};

struct br_push_entry;
struct br_push_hub;

/* One connection's place in the hub; embedded in the connection, zeroed before joining. */
struct br_push_member {
    struct br_push_member *prev;
    struct br_push_member *next;
    struct br_push_entry *entry; /* NULL while not joined */
    uint32_t seen;               /* entry version this connection last wrote */
};

/* br_push_wake_fn is told that member m has a newer state to write. */
typedef void (*br_push_wake_fn)(struct br_push_member *m, void *arg);

/* br_push_hub_create makes an empty hub calling wake(member, arg) on changes. Returns 0 with
 * *out set (free with br_push_hub_destroy), or BO_E_NOMEM. */
__attribute__((warn_unused_result)) int br_push_hub_create(br_push_wake_fn wake, void *arg,
                                                           struct br_push_hub **out);

/* br_push_hub_destroy frees h and its entries (members are left alone); safe on NULL. */
void br_push_hub_destroy(struct br_push_hub *h);

/*
 * br_push_hub_join links m (zeroed) to the entry of token_id, creating it with token_text
 * (copied), merges st (the state GetToken just told) and wakes m so that its first message
 * is the current state. Returns 0, BO_E_INVALID_ARGUMENT for a token id that is too long, or
 * BO_E_NOMEM.
 */
__attribute__((warn_unused_result)) int
br_push_hub_join(struct br_push_hub *h, struct br_push_member *m, const char *token_id,
                 const char *token_text, const struct br_push_state *st);

/* br_push_hub_leave unlinks m, freeing its entry when it was the last member; safe when m is
 * not joined. */
void br_push_hub_leave(struct br_push_hub *h, struct br_push_member *m);

/* br_push_hub_update merges st into token_id's entry (nothing when nobody follows it) and
 * wakes its members when the entry changed. */
void br_push_hub_update(struct br_push_hub *h, const char *token_id,
                        const struct br_push_state *st);

/* br_push_hub_pending tells whether m has a newer state to write: returns 1 with *st and
 * *token_id (borrowed until m leaves) set and marks it written, else 0. */
int br_push_hub_pending(struct br_push_member *m, struct br_push_state *st, const char **token_id);

/* br_push_hub_state returns m's current state and token id without marking anything; m must
 * be joined. */
void br_push_hub_state(const struct br_push_member *m, struct br_push_state *st,
                       const char **token_id);

/* br_push_hub_tokens returns copies of the token texts of every entry (caller frees each and
 * the array with free) in *texts and their number in *n. Returns 0 or BO_E_NOMEM. */
__attribute__((warn_unused_result)) int br_push_hub_tokens(const struct br_push_hub *h,
                                                           char ***texts, size_t *n);

/*
 * br_push_hub_stale returns copies (as br_push_hub_tokens) of the token texts of at most max
 * WAITING entries that heard nothing for quiet_ms by now_ms, and counts them as heard now:
 * position events come every few seconds while a token waits, so silence means an event was
 * lost (pub/sub may drop) and the caller should read the state again. Quiet entries past max
 * stay quiet for a later call.
 */
__attribute__((warn_unused_result)) int br_push_hub_stale(struct br_push_hub *h, int64_t now_ms,
                                                          int64_t quiet_ms, size_t max,
                                                          char ***texts, size_t *n);

/* br_push_hub_followers returns the number of members following token_id (0 when none). */
size_t br_push_hub_followers(const struct br_push_hub *h, const char *token_id);

/* br_push_hub_hash returns the FNV-1a hash of s: of token ids here, of client addresses in
 * br_push_caps. */
uint64_t br_push_hub_hash(const char *s);

/* br_push_hub_count returns the number of entries (distinct tokens followed). */
size_t br_push_hub_count(const struct br_push_hub *h);

#endif
