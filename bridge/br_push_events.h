/*
 * br_push_events: the push listener's blocking work, kept off its event loop.
 *
 * Threads: a few workers, each with its own libboxoffice session, doing
 * the rpcs the loop asks for: GetToken to
 * verify a new connection's token (and to re-read tokens whose events went
 * quiet), from a job list of at most cfg->push_max_jobs; and the toucher,
 * a lane of its own: TouchTokens for the tokens of open connections, and
 * with cfg->admin_key the push connection caps read with GetLimits once a
 * second (br_push_events_caps; DESIGN's defaults until then, or without a
 * key), handing the edge's cap to br_edge_limits with cfg->edge_limits. The admission events of
 * every service instance arrive from the bridge's event feed (br_push_events_admission, on the
 * feed's thread).
 *
 * Everything flows back to the loop as br_push_result items on one locked
 * list; putting the first item on an empty list calls wake() (the loop's
 * lws_cancel_service), and the loop takes the whole list at once with
 * br_push_events_take. Results from events may be dropped when the loop
 * falls far behind (pub/sub may drop anyway); verification results never
 * are: a tag given to br_push_events_verify comes back in exactly one
 * BR_PUSH_VERIFIED result, even when stopping.
 */
#ifndef BR_PUSH_EVENTS_H
#define BR_PUSH_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "boxoffice/v1/events.pb-c.h"
#include "br_config.h"
#include "br_push_hub.h"

enum br_push_result_kind {
    BR_PUSH_VERIFIED = 1, /* a verification finished: tag, rc and, on success, token_id and st */
    BR_PUSH_STATE = 2,    /* a token's state changed: token_id and st */
};

struct br_push_result {
    struct br_push_result *next;
    int kind;
    void *tag; /* VERIFIED: as given to br_push_events_verify */
    int rc;    /* VERIFIED: 0, or the error GetToken answered (bo_error.h) */
    char token_id[BR_PUSH_TOKEN_ID_MAX];
    struct br_push_state st;
};

struct br_push_events;

/* br_push_events_wake_fn tells the loop that results are waiting; called from any thread. */
typedef void (*br_push_events_wake_fn)(void *arg);

/*
 * br_push_events_start opens a client to cfg->rpc_urls (borrowed until stop) and starts the
 * workers. Returns 0 with *out set, or an error code after logging why.
 */
__attribute__((warn_unused_result)) int br_push_events_start(const struct br_config *cfg,
                                                             br_push_events_wake_fn wake, void *arg,
                                                             struct br_push_events **out);

/* br_push_events_admission turns an admission event into a state result for its token; from
 * any thread, never after br_push_events_stop has begun. */
void br_push_events_admission(struct br_push_events *ev, const Boxoffice__V1__AdmissionEvent *e);

/* br_push_events_stop joins every thread, turns verifications not yet done into
 * BR_PUSH_VERIFIED results with rc BO_E_UNAVAILABLE, and returns all results not yet taken
 * (caller frees with br_push_result_free_all) before freeing ev; safe on NULL (returns NULL). */
struct br_push_result *br_push_events_stop(struct br_push_events *ev);

/* br_push_events_verify asks a worker to read token's state with GetToken (token copied);
 * the answer comes back as a BR_PUSH_VERIFIED result carrying tag. Returns 0, or
 * BO_E_UNAVAILABLE when cfg->push_max_jobs jobs wait already, or BO_E_NOMEM (then no result
 * will come). */
__attribute__((warn_unused_result)) int br_push_events_verify(struct br_push_events *ev, void *tag,
                                                              const char *token);

/* br_push_events_recheck asks a worker to read the state of each token in texts and report
 * it as BR_PUSH_STATE results (dropped when the job list is full). Takes ownership of texts
 * (an array of n malloc'd strings). */
void br_push_events_recheck(struct br_push_events *ev, char **texts, size_t n);

/* br_push_events_touch asks the toucher to send texts to TouchTokens (in batches that fit one
 * request; a list not yet sent is replaced) and report the tokens the service calls expired
 * as BR_PUSH_STATE results. Takes ownership of texts (an array of n malloc'd strings). */
void br_push_events_touch(struct br_push_events *ev, char **texts, size_t n);

/* br_push_events_caps writes the push connection caps in force (0: off): open connections
 * per client address and per token. From any thread. */
void br_push_events_caps(struct br_push_events *ev, uint32_t *per_address, uint32_t *per_token);

/* br_push_events_take returns every result so far, oldest first (caller frees with
 * br_push_result_free_all), or NULL. */
struct br_push_result *br_push_events_take(struct br_push_events *ev);

/* br_push_result_free_all frees a list of results. */
void br_push_result_free_all(struct br_push_result *r);

/* br_push_texts_free frees an array of n strings and the array; safe on NULL. */
void br_push_texts_free(char **texts, size_t n);

#endif
