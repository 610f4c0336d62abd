/*
 * svc_context: what one worker thread owns to serve requests: its own
 * PostgreSQL and Redis connections, the read-only configuration, and a
 * short-lived copy of the admission settings; and what every worker of the
 * process shares (struct svc_shared: events socket, seat maps, token memory).
 */
#ifndef SVC_CONTEXT_H
#define SVC_CONTEXT_H

#include "cache.h"
#include "events.h"
#include "identity.h"
#include "model.h"
#include "proof_cache.h"
#include "catalog_memory.h"
#include "seat_maps.h"
#include "store.h"
#include "svc_config.h"
#include "token_memory.h"
#include "venue_cache.h"

/* Who the request being served comes from, as dispatch proved it. */
struct svc_caller {
    int proven;              /* who is set: the request carried a valid proof */
    struct identity who;     /* the proven user, when proven */
    const char *client_addr; /* as the edge saw it ("" for native clients); borrowed */
};

/* What every worker of the process shares, made once at start-up. Each may be used from any
 * thread. */
struct svc_shared {
    const struct identity_keys *keys; /* borrowed from the caller of svc_shared_open */
    struct events *events;            /* owned: admission, ended-token and seat events */
    struct token_memory *tokens;      /* owned: ACTIVE tokens known to reads */
    struct seat_maps *maps;           /* owned: seat maps in memory, fed by the peers */
    struct venue_cache *venues;       /* owned: venues read so far */
    struct catalog_memory *catalog;   /* owned: dates' concerts, concerts' openings */
};

struct svc_context {
    const struct svc_config *cfg;     /* borrowed for the process lifetime */
    const struct identity_keys *keys; /* borrowed for the process lifetime */
    struct events *events;            /* borrowed (svc_shared); NULL: none published */
    struct token_memory *tokens;      /* borrowed (svc_shared); NULL: Redis every time */
    struct seat_maps *maps;           /* borrowed (svc_shared); NULL: PostgreSQL every time */
    struct venue_cache *venues;       /* borrowed (svc_shared); NULL: PostgreSQL every time */
    struct catalog_memory *catalog;   /* borrowed (svc_shared); NULL: PostgreSQL every time */
    struct store *store;              /* owned */
    struct cache *cache;              /* owned */
    struct admission_settings settings;
    int64_t settings_read_ms; /* monotonic time settings were read; refreshed every second */
    struct limits limits;
    int64_t limits_read_ms;    /* the same for the rate limits */
    struct svc_caller caller;  /* of the request being served; set and cleared by dispatch */
    struct proof_cache proofs; /* proofs this worker verified lately */
    uint64_t request_id;       /* of the request being served, for log lines */
    int in_batch;              /* serving the calls of a Batch: a Batch among them is refused */
    int batch_waits; /* in a Batch's pass: 1 a call before is not answered, so only token calls
                      * go on; 2 a call of another kind waits, so no call after it goes on */
    int memory_only; /* served on one of nng's threads: nothing may wait on PostgreSQL or Redis */
    int needs_io;    /* a memory_only request found it would have to (see svc_context_may_wait) */
};

/* svc_shared_open opens what the workers share as cfg says (events socket, token memory, seat
 * maps following the peers), keys borrowed until svc_shared_close. Safe to close after a
 * failure. Codes of events_open, seat_maps_open. */
__attribute__((warn_unused_result)) int svc_shared_open(const struct svc_config *cfg,
                                                        const struct identity_keys *keys,
                                                        struct svc_shared *out);

/* svc_shared_close closes what svc_shared_open opened, in reverse; safe on a zeroed one. Call it
 * after the workers and the admission loop stopped. */
void svc_shared_close(struct svc_shared *sh);

/* svc_context_init opens the worker's connections. Safe to fini after a failure. */
__attribute__((warn_unused_result)) int svc_context_init(struct svc_context *ctx,
                                                         const struct svc_config *cfg);

/* svc_context_share lets ctx use what sh holds (borrowed until sh is closed). */
void svc_context_share(struct svc_context *ctx, const struct svc_shared *sh);

/* svc_context_fini closes what init opened; safe on a zeroed or half-built context. */
void svc_context_fini(struct svc_context *ctx);

/* svc_context_may_wait tells whether the request being served may wait on PostgreSQL or Redis.
 * When ctx is memory_only it may not: this notes that the request needs to (needs_io), and the
 * caller gives up with any error; dispatch then has the request served again by its worker. */
int svc_context_may_wait(struct svc_context *ctx);

/* svc_context_settings returns the admission settings, re-read from Redis at most once a second
 * (defaults from configuration if Redis is unreachable). */
void svc_context_settings(struct svc_context *ctx, struct admission_settings *out);

/* svc_context_limits returns the rate limits, re-read from Redis at most once a second (the
 * defaults of limits.h if Redis is unreachable). */
void svc_context_limits(struct svc_context *ctx, struct limits *out);

#endif
